import { InvalidArgumentError, Option, type Command } from "commander";
import { type LayoutName } from "../index.js";
import { layoutNames } from "../layouts.js";
import { usageError } from "./cli-error.js";

/** The options every command takes to find the backend, as etcdctl names them. */
export interface ConnectionOptions {
  /** etcd endpoints, comma-separated (`--endpoints`, ETCD_ENDPOINTS or ETCDCTL_ENDPOINTS); none: embedded or the default. */
  readonly endpoints?: string;
  /** The key prefix (`--prefix` or ETCD_PREFIX); the layout's default when absent ("kratos_etcd" for Kratos v1). */
  readonly prefix?: string;
  /** Where keys live and how values look (`--layout` or ETCD_LAYOUT), default "kratos-v1". */
  readonly layout: LayoutName;
  /** TLS: the CA bundle that signed etcd's certificate. */
  readonly cacert?: string;
  /** TLS: this client's certificate, for etcd's client-certificate auth. */
  readonly cert?: string;
  /** TLS: the key of `cert`. */
  readonly key?: string;
  /** `name` or `name:password`; without the password it comes from ETCDCTL_PASSWORD or a prompt. */
  readonly user?: string;
  /** ZooKeeper servers (`--zookeeper` or ZOOKEEPER_SERVERS): ZooKeeper instead of etcd. */
  readonly zookeeper?: string;
  /** bilibili discovery nodes (`--discovery` or DISCOVERY_NODES): discovery instead of etcd. */
  readonly discovery?: string;
  /** How long to wait for etcd to answer before giving up, in ms (`--dial-timeout` or ETCDCTL_DIAL_TIMEOUT). */
  readonly dialTimeout: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
/** The longest duration any option takes: a day (timers cannot wait much longer than 24 days). */
const MAX_DURATION_MS = 86_400_000;

/**
 * Parses a duration into milliseconds: Go's syntax as etcdctl takes it ("3s", "500ms", "1m30s"),
 * or a bare number of seconds ("2"). More than 0 and at most 24h.
 */
export const parseDuration = (value: string): number => {
  const text = value.trim();
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(text)) ms = Number(text) * 1_000;
  else if (/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text)) {
    ms = 0;
    for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
      ms += Number(n) * UNIT_MS[unit!]!;
  } else throw new InvalidArgumentError("expected a duration such as 3s, 500ms or 1m30s");
  if (!(ms > 0)) throw new InvalidArgumentError("must be more than 0");
  if (!(ms <= MAX_DURATION_MS)) throw new InvalidArgumentError(`must be at most 24h, got ${text}`);
  return ms;
};

/**
 * etcdctl's environment variables, for the options not given on the command line (flags win, as
 * with etcdctl). ETCD_ENDPOINTS, rxnaming's own, wins over ETCDCTL_ENDPOINTS.
 */
const etcdctlEnvironment = (command: Command, env: NodeJS.ProcessEnv): void => {
  const fromEnv = (option: string, name: string, parse: (v: string) => unknown = (v) => v): void => {
    const value = env[name];
    if (value === undefined || value === "") return;
    const source = command.getOptionValueSource(option);
    if (source !== undefined && source !== "default") return;
    let parsed: unknown;
    try {
      parsed = parse(value);
    } catch (e) {
      throw usageError(`${name}="${value}": ${(e as Error).message}`);
    }
    command.setOptionValueWithSource(option, parsed, "env");
  };
  if (command.getOptionValue("zookeeper") === undefined) fromEnv("endpoints", "ETCDCTL_ENDPOINTS");
  fromEnv("cacert", "ETCDCTL_CACERT");
  fromEnv("cert", "ETCDCTL_CERT");
  fromEnv("key", "ETCDCTL_KEY");
  fromEnv("user", "ETCDCTL_USER");
  fromEnv("dialTimeout", "ETCDCTL_DIAL_TIMEOUT", parseDuration);
};

/** Adds the connection options (etcdctl's names, and their environment variables) to a command. */
export const withConnectionOptions = (command: Command): Command =>
  command
    .addOption(
      new Option(
        "--endpoints <urls>",
        "etcd endpoints, comma-separated (default http://127.0.0.1:2379; also ETCDCTL_ENDPOINTS)",
      ).env("ETCD_ENDPOINTS"),
    )
    .addOption(
      new Option("--prefix <prefix>", "key prefix (default: the layout's, kratos_etcd for kratos-v1)").env(
        "ETCD_PREFIX",
      ),
    )
    .addOption(
      new Option("--layout <name>", "key layout: where keys live and how values look")
        .choices(layoutNames)
        .env("ETCD_LAYOUT")
        .default("kratos-v1"),
    )
    .addOption(
      new Option(
        "--zookeeper <servers>",
        "use ZooKeeper instead of etcd: host:port[,host:port...][/chroot] (prefix: the root, default /kratos)",
      )
        .env("ZOOKEEPER_SERVERS")
        .conflicts("endpoints"),
    )
    .addOption(
      new Option("--discovery <nodes>", "use bilibili discovery instead of etcd: host:port[,host:port...]")
        .env("DISCOVERY_NODES")
        .conflicts(["endpoints", "zookeeper"]),
    )
    .addOption(
      new Option("--cacert <file>", "TLS: verify etcd's certificate with this CA bundle (or ETCDCTL_CACERT)"),
    )
    .addOption(new Option("--cert <file>", "TLS: client certificate (or ETCDCTL_CERT)"))
    .addOption(new Option("--key <file>", "TLS: key of the client certificate (or ETCDCTL_KEY)"))
    .addOption(
      new Option(
        "--user <name[:password]>",
        "etcd user (or ETCDCTL_USER); the password from ETCDCTL_PASSWORD, or asked for (not echoed)",
      ),
    )
    .addOption(
      new Option(
        "--dial-timeout <duration>",
        "give up when etcd does not answer within this (or ETCDCTL_DIAL_TIMEOUT)",
      )
        .argParser(parseDuration)
        .default(3000, "3s"),
    )
    .hook("preAction", (self) => etcdctlEnvironment(self, process.env));
