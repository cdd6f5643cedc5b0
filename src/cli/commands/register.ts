import { Command, InvalidArgumentError, Option } from "commander";
import { firstValueFrom, ignoreElements, merge, tap } from "rxjs";
import { instance, isNamingError, type Instance } from "../../index.js";
import { CliError, usageError } from "../cli-error.js";
import { withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { namingFromOptions } from "../naming-from-options.js";
import { stopSignal$ } from "../signals.js";

interface RegisterCliOptions extends ConnectionOptions {
  readonly appid: string;
  readonly hostname: string;
  readonly addr: readonly string[];
  readonly zone?: string;
  readonly region?: string;
  readonly env?: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly ttl?: number;
}

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

/** The instance the options describe, or a usage error naming the field. */
const instanceOf = (options: RegisterCliOptions): Instance => {
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
      .addOption(new Option("--ttl <seconds>", "lease TTL").argParser(wholeSeconds).default(30)),
  )
    .addHelpText(
      "after",
      `
Example:
  $ rxnaming register --appid demo.service --hostname host-1 --addr grpc://10.0.0.5:9000 \\
      --zone sh001 --meta weight=10 --endpoints http://127.0.0.1:2379
  registered /kratos_etcd/demo.service/host-1 (lease 7587881745392577290, TTL 30 s); Ctrl-C deregisters`,
    )
    .action(async (options: RegisterCliOptions) => {
      const me = instanceOf(options);
      const ttlSeconds = options.ttl ?? 30;
      const connection = await namingFromOptions(options, { appId: me.appId, ttlSeconds });
      const say = (line: string): void => void process.stderr.write(`${line}\n`);
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
                    `registered ${event.key} (lease ${event.leaseId}, TTL ${ttlSeconds} s); Ctrl-C deregisters\n`,
                  );
                } else if (event.type === "lost") {
                  say(`rxnaming: the lease of ${event.key} was lost; registering again`);
                }
              }),
              ignoreElements(),
            ),
            stopSignal$,
          ),
        ).catch((e: unknown) => {
          throw isNamingError(e) && e._tag !== "Backend"
            ? new CliError(e.message)
            : new CliError(connection.explain(e));
        });
        say(`${stopped}: deregistering ${key}`);
      } finally {
        await connection.close();
      }
      process.stdout.write(`deregistered ${key}\n`);
    });
