import { Command, InvalidArgumentError, Option } from "commander";
import { firstValueFrom, ignoreElements, merge, tap } from "rxjs";
import { instance, isNamingError, type Instance } from "../../index.js";
import { CliError, oneLine, usageError } from "../cli-error.js";
import { parseDuration, withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { ErrorLines } from "../error-lines.js";
import { namingFromOptions } from "../naming-from-options.js";
import { printableOption } from "../option-text.js";
import { truncate, visible } from "../render/terminal-text.js";
import { stopSignal$ } from "../signals.js";

interface RegisterCliOptions extends ConnectionOptions {
  readonly appid: string;
  readonly hostname: string;
  readonly addr: readonly string[];
  readonly zone?: string;
  readonly region?: string;
  readonly env?: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly ttl: number;
  readonly sessionTimeout: number;
}

/** ZooKeeper's session timeout when none is given, as the naming's default. */
const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

const collectMeta = (
  value: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> => {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected key=value, e.g. weight=10");
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
};

const wholeSeconds = (value: string): number => {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError("expected whole seconds >= 1");
  return n;
};

/** The instance the options describe, or a usage error naming the option. */
const instanceOf = (options: RegisterCliOptions): Instance => {
  printableOption("--appid", options.appid);
  printableOption("--hostname", options.hostname);
  options.addr.forEach((a) => printableOption("--addr", a));
  for (const flag of ["zone", "region", "env"] as const) {
    const value = options[flag];
    if (value !== undefined) printableOption(`--${flag}`, value);
  }
  for (const [k, v] of Object.entries(options.meta)) printableOption("--meta", `${k}=${v}`);
  const result = instance({
    appId: options.appid,
    hostname: options.hostname,
    addrs: options.addr,
    zone: options.zone ?? "",
    region: options.region ?? "",
    env: options.env ?? "",
    metadata: options.meta,
  });
  if (result._tag === "Left") {
    const flags: Record<string, string> = { appId: "--appid", hostname: "--hostname", addrs: "--addr" };
    const field = (result.left.field ?? "").replace(/\[.*$/, "");
    throw usageError(
      `${flags[field] ?? `--${field}`}: ${result.left.message.replace(/^invalid instance: /, "")}`,
    );
  }
  return result.right;
};

/** What keeps the registration alive, for the "registered" line: a lease's TTL, or a session's timeout. */
const keptBy = (command: Command, options: RegisterCliOptions): string => {
  const given = (name: string): boolean => command.getOptionValueSource(name) === "cli";
  if (options.zookeeper !== undefined) {
    if (given("ttl")) {
      throw usageError("--ttl is etcd's lease TTL; on ZooKeeper the session keeps it: use --session-timeout");
    }
    return `session timeout ${options.sessionTimeout / 1000} s`;
  }
  if (given("sessionTimeout")) {
    throw usageError("--session-timeout is ZooKeeper's (with --zookeeper); etcd keeps a lease: use --ttl");
  }
  return `TTL ${options.ttl} s`;
};

/** `rxnaming register`: registers an instance until SIGINT or SIGTERM, then deregisters at once. */
export const registerCommand = (): Command =>
  withConnectionOptions(
    new Command("register")
      .description("register an instance; stay registered until Ctrl-C or SIGTERM, then deregister at once")
      .requiredOption("--appid <appid>", "the app (e.g. demo.service)")
      .requiredOption("--hostname <hostname>", "this instance's name, unique within the app")
      .addOption(
        new Option("--addr <url>", "an address, e.g. grpc://10.0.0.5:9000 (repeat for more)")
          .argParser(collect)
          .makeOptionMandatory(),
      )
      .option("--zone <zone>", "the instance's zone (e.g. sh001)")
      .option("--region <region>", "the instance's region")
      .option("--env <env>", "the instance's environment (e.g. prod)")
      .addOption(
        new Option("--meta <key=value>", "metadata, e.g. weight=10 (repeatable)")
          .argParser(collectMeta)
          .default({}, "none"),
      )
      .addOption(new Option("--ttl <seconds>", "etcd: lease TTL").argParser(wholeSeconds).default(30))
      .addOption(
        new Option(
          "--session-timeout <duration>",
          "ZooKeeper: the session timeout, which keeps the registration there",
        )
          .argParser(parseDuration)
          .default(DEFAULT_SESSION_TIMEOUT_MS, "10s"),
      ),
  )
    .addHelpText(
      "after",
      `
Errors the library reports while registered go to stderr, one line each (at most one a second).
If the registration ends (e.g. etcd denies the write, or another process took the same appid and
hostname), register says so in one line naming the key, deregisters and exits 1.

Example:
  $ rxnaming register --appid demo.service --hostname host-1 --addr grpc://10.0.0.5:9000 \\
      --zone sh001 --meta weight=10 --endpoints http://127.0.0.1:2379
  registered /kratos_etcd/demo.service/host-1 (lease 7587881745392577290, TTL 30 s); Ctrl-C deregisters`,
    )
    .action(async (options: RegisterCliOptions, command: Command) => {
      const me = instanceOf(options);
      const kept = keptBy(command, options);
      const ttlSeconds = options.ttl;
      const connection = await namingFromOptions(options, {
        appId: me.appId,
        ttlSeconds,
        sessionTimeoutMs: options.sessionTimeout,
      });
      const say = (line: string): void => void process.stderr.write(`${line}\n`);
      const lease = options.zookeeper === undefined ? "lease" : "session";
      const lines = new ErrorLines((e) => connection.explain(e));
      const reports = connection.naming.errors$.subscribe((e) => {
        const line = lines.next(e);
        if (line !== undefined) say(`rxnaming: ${line}`);
      });
      let key = "";
      try {
        // Registered until a signal: the subscription is the registration (unsubscribing revokes).
        const stopped = await firstValueFrom(
          merge(
            connection.naming.register(me, { ttlSeconds }).pipe(
              tap((event) => {
                key = event.key;
                if (event.type === "registered") {
                  process.stdout.write(
                    `registered ${event.key} (${lease} ${event.leaseId}, ${kept}); Ctrl-C deregisters\n`,
                  );
                } else if (event.type === "lost") {
                  say(`rxnaming: the ${lease} of ${event.key} was lost; registering again`);
                }
              }),
              ignoreElements(),
            ),
            stopSignal$,
          ),
        ).catch((e: unknown) => {
          // Whatever ended the registration (a denied write, another owner of the key): one line
          // naming the key; the finally below deregisters.
          const at = (isNamingError(e) ? e.key : undefined) ?? (key || `${me.appId}/${me.hostname}`);
          const why = isNamingError(e) && e._tag !== "Backend" ? oneLine(e) : connection.explain(e, at);
          throw new CliError(truncate(visible(`registration of ${at} ended: ${why}`), 400));
        });
        say(`${stopped}: deregistering ${key}`);
      } finally {
        reports.unsubscribe();
        await connection.close();
      }
      process.stdout.write(`deregistered ${key}\n`);
    });
