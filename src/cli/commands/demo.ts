import { Command, InvalidArgumentError, Option } from "commander";
import { filter, firstValueFrom, interval, map, race, timer } from "rxjs";
import { CliError } from "../cli-error.js";
import { parseDuration, withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { DemoRun } from "../demo/demo-run.js";
import { liveDemoView, lineDemoView } from "../demo/demo-view.js";
import { demoTtlSeconds, story } from "../demo/story.js";
import { namingFromOptions } from "../naming-from-options.js";
import { terminalOf } from "../render/terminal.js";
import { stopSignal$ } from "../signals.js";
import { parsePort, startConsole } from "./ui.js";

/** The app of the demo's services; on etcd, `rxnaming watch rxnaming.demo` follows it from elsewhere. */
export const DEMO_APP = "rxnaming.demo";

interface DemoOptions extends ConnectionOptions {
  readonly duration: number;
  readonly rate: number;
  /** `--ui` alone: the console on port 8080; `--ui <port>`: on that port (0: a free one). */
  readonly ui?: true | number;
}

const perSecond = (value: string): number => {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= 100_000))
    throw new InvalidArgumentError("expected 1 to 100000");
  return n;
};

/** `rxnaming demo`: the whole story on the embedded store (or etcd), with a live view. */
export const demoCommand = (): Command =>
  withConnectionOptions(
    new Command("demo")
      .description(
        "services come and go while a p2c client balances over them, shown live (on an embedded store unless a backend is given)",
      )
      .addOption(
        new Option("--duration <duration>", "how long the story takes")
          .argParser((v) => {
            const ms = parseDuration(v);
            if (ms < 1000) throw new InvalidArgumentError("at least 1s");
            return ms;
          })
          .default(20_000, "20s"),
      )
      .addOption(new Option("--rate <n>", "simulated requests per second").argParser(perSecond).default(200))
      .addOption(
        new Option(
          "--ui [port]",
          "also show the story live in the browser (port 8080; 0 picks a free one)",
        ).argParser(parsePort),
      ),
  )
    .addHelpText(
      "after",
      `
Ends by itself after --duration, or on Ctrl-C, with a summary. In a terminal the view is redrawn in
place (NO_COLOR turns colours off); piped, it prints plain lines.

Examples:
  $ rxnaming demo                     # embedded in-memory store, no etcd needed (what npm start runs)
  $ rxnaming demo --duration 5s | cat
  $ rxnaming demo --ui --duration 60s   # and open http://127.0.0.1:8080/
  $ rxnaming demo --endpoints http://127.0.0.1:2379   # the same story on etcd; watch it with
  $ rxnaming watch ${DEMO_APP} --endpoints http://127.0.0.1:2379`,
    )
    .action(async (options: DemoOptions) => {
      const durationMs = options.duration;
      const ttlSeconds = demoTtlSeconds(durationMs);
      const connection = await namingFromOptions(options, {
        appId: DEMO_APP,
        embedded: true,
        ttlSeconds,
        sessionTimeoutMs: ttlSeconds * 1_000,
      });
      const terminal = terminalOf(process.stdout);
      const ui =
        options.ui === undefined
          ? undefined
          : await startConsole(
              connection.naming,
              { port: options.ui === true ? 8080 : options.ui, host: "127.0.0.1", apps: [DEMO_APP] },
              (line) => terminal.write(`rxnaming demo: live in the browser at ${line}`),
            ).catch(async (e: unknown) => {
              await connection.close();
              throw e;
            });
      const view = terminal.live ? liveDemoView(terminal, durationMs) : lineDemoView(terminal, durationMs);
      if (!terminal.live) {
        terminal.write(`rxnaming demo: ${DEMO_APP} on ${connection.where} for ${durationMs / 1000} s\n`);
      }
      const demo = new DemoRun(connection, DEMO_APP, (e) => view.event(e), options.rate);
      demo.startClient(ui?.view.track());
      const steps = story(durationMs, ttlSeconds).map((step) =>
        setTimeout(() => {
          Promise.resolve(step.run(demo)).catch((e: unknown) => {
            demo.failure ??= e;
          });
        }, step.at),
      );
      const ticks = interval(100).subscribe(() => view.tick(demo));
      try {
        // The end: the duration, Ctrl-C or SIGTERM, or a failure (e.g. etcd refused a registration).
        await firstValueFrom(
          race(
            timer(durationMs),
            stopSignal$,
            interval(100).pipe(
              filter(() => demo.failure !== undefined),
              map(() => "failed"),
            ),
          ),
        );
      } finally {
        steps.forEach(clearTimeout);
        ticks.unsubscribe();
        view.end(demo);
        await ui?.close();
        await demo.stop();
      }
      if (demo.failure !== undefined) throw new CliError(connection.explain(demo.failure));
      if (ui === undefined) {
        terminal.write(
          "Watch the same story in your browser: rxnaming demo --ui (here: npm start -- --ui)\n",
        );
      }
    });
