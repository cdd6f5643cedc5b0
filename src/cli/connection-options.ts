import { InvalidArgumentError, Option, type Command } from "commander";
import { type LayoutName } from "../index.js";
import { layoutNames } from "../layouts.js";

/** The options every command takes to find the backend, as etcdctl names them. */
export interface ConnectionOptions {
  /** etcd endpoints, comma-separated (`--endpoints` or ETCD_ENDPOINTS); none: embedded or the default. */
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
  /** How long to wait for etcd to answer before giving up, in ms. */
  readonly dialTimeout: number;
}

/** Parses "3s", "500ms" or "2" (seconds) into milliseconds. */
export const parseDuration = (value: string): number => {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError("expected a duration such as 3s or 500ms");
  const ms = match[2] === "ms" ? Number(match[1]) : Number(match[1]) * 1000;
  if (!(ms > 0)) throw new InvalidArgumentError("must be more than 0");
  return ms;
};

/** Adds the connection options (etcdctl's names, and their environment variables) to a command. */
export const withConnectionOptions = (command: Command): Command =>
  command
    .addOption(
      new Option("--endpoints <urls>", "etcd endpoints, comma-separated (http://127.0.0.1:2379)").env(
        "ETCD_ENDPOINTS",
      ),
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
    .addOption(new Option("--cacert <file>", "TLS: verify etcd's certificate with this CA bundle"))
    .addOption(new Option("--cert <file>", "TLS: client certificate"))
    .addOption(new Option("--key <file>", "TLS: key of the client certificate"))
    .addOption(
      new Option(
        "--user <name[:password]>",
        "etcd user; the password from ETCDCTL_PASSWORD, or asked for (not echoed)",
      ),
    )
    .addOption(
      new Option("--dial-timeout <duration>", "give up when etcd does not answer within this")
        .argParser(parseDuration)
        .default(3000, "3s"),
    );
