import { Command } from "commander";
import { lastValueFrom, takeUntil, tap } from "rxjs";
import { instanceChanges } from "../../index.js";
import { checkAppId } from "../app-id.js";
import { withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { namingFromOptions } from "../naming-from-options.js";
import { terminalOf } from "../render/terminal.js";
import { jsonWatchView, liveWatchView, lineWatchView } from "../render/watch-view.js";
import { stopSignal$ } from "../signals.js";

interface WatchOptions extends ConnectionOptions {
  readonly json?: boolean;
}

/** `rxnaming watch <appid>`: the instances of an app, then every change, until Ctrl-C. */
export const watchCommand = (): Command =>
  withConnectionOptions(
    new Command("watch")
      .description("print the instances of an app, then each change as it happens, until Ctrl-C")
      .argument("<appid>", "the app, as registered (e.g. demo.service)", checkAppId)
      .option(
        "--json",
        "one JSON object per line: added / removed / updated, and synced after the first set",
      ),
  )
    .addHelpText(
      "after",
      `
A live table in a terminal; one line per change when piped.

Example:
  $ rxnaming watch demo.service --json --endpoints http://127.0.0.1:2379
  {"type":"added","appId":"demo.service","revision":"8","instance":{"hostname":"host-1",...}}
  {"type":"synced","appId":"demo.service","revision":"8","count":1}`,
    )
    .action(async (appId: string, options: WatchOptions) => {
      const connection = await namingFromOptions(options, { appId });
      const terminal = terminalOf(process.stdout);
      const out = (line: string): void => void process.stdout.write(`${line}\n`);
      const view = options.json
        ? jsonWatchView(out)
        : terminal.live
          ? liveWatchView(terminal, appId, connection.where)
          : lineWatchView(out, connection.where);
      // Faults are retried by the naming; say so, once per distinct message.
      let lastFault = "";
      const faults = connection.naming.errors$.subscribe((e) => {
        const message = connection.explain(e);
        if (message === lastFault) return;
        lastFault = message;
        if (options.json || !terminal.live) process.stderr.write(`rxnaming: ${message} (retrying)\n`);
        else view.fault(message);
      });
      try {
        await lastValueFrom(
          connection.naming.build(appId).instances$.pipe(
            instanceChanges(),
            tap((c) => {
              lastFault = "";
              view.changes(c);
            }),
            takeUntil(stopSignal$),
          ),
          { defaultValue: undefined },
        );
      } finally {
        view.end();
        faults.unsubscribe();
        await connection.close();
      }
    });
