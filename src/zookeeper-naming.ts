import { kratosV1Layout } from "./backends/layouts/index.js";
import { zookeeperBackend } from "./backends/zookeeper/index.js";
import { createNaming, MAX_TTL_SECONDS, withCheckedRegister, type BackoffOptions } from "./core/index.js";
import {
  invalidInstance,
  invalidOption,
  numberOption,
  numbersRecord,
  optionsRecord,
  stringOption,
} from "./model/index.js";
import type { KeyLayout } from "./port/index.js";
import type { Naming } from "./naming.js";
import { buildOptions, type BuildOptions } from "./operators/build-options.js";

/** Options of {@link zookeeperNaming}: `servers` is required, the rest have defaults. */
export interface ZooKeeperNamingOptions {
  /** The ZooKeeper connection string: `host:port[,host:port...][/chroot]`. */
  readonly servers: string;
  /** The root node: instances are `<root>/<appid>/<hostname>`. Default "/kratos". */
  readonly root?: string;
  /**
   * The session timeout, in ms (the server clamps it to its own min and max; 4 s to 40 s by
   * default). A client cut off longer than this loses its nodes. Default 10,000.
   */
  readonly sessionTimeoutMs?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /**
   * How long `fetch()` waits for an app's first set before it gives up with a `Backend` error, in
   * ms. Default 10,000.
   */
  readonly fetchTimeoutMs?: number;
  /** The deadline of each ZooKeeper call, in ms. Default 5,000. */
  readonly requestTimeoutMs?: number;
  /** Backoff of watch and registration retries. Default 100 ms doubling to 1 s, jittered. */
  readonly backoff?: BackoffOptions;
}

const positive = (option: string, value: unknown, fallback: number): number =>
  numberOption(option, value, { integer: true, min: 1, unit: " ms" }, fallback);

/**
 * A Naming on ZooKeeper, wire-compatible with Kratos v1's ZooKeeper registry: EPHEMERAL nodes
 * `<root>/<appid>/<hostname>` holding Kratos v1 JSON. (Kratos v1 names nodes by IP and drops the
 * port; rxnaming names them by hostname, unique within an appid.)
 *
 * The naming owns its ZooKeeper client, because a client whose session expired is dead: it makes
 * a new one, writes every registration again (`lost`, then `registered`) and reads every watched
 * app again. A registration lives as long as the session: `ttlSeconds` has no meaning here; the
 * session timeout says how long a silent process keeps its nodes. `close()` closes the session,
 * and its nodes go at once.
 *
 * @example
 * const naming = zookeeperNaming({ servers: "127.0.0.1:2181", sessionTimeoutMs: 10_000 });
 * naming.register(instance).subscribe();
 * naming.build("demo.service").instances$.subscribe((info) => console.log(info.instances));
 * // ...
 * await naming.close();
 */
export const zookeeperNaming = (options: ZooKeeperNamingOptions): Naming => {
  if (options === undefined) throw invalidOption("zookeeperNaming options", "must be an object with servers");
  const o = optionsRecord<ZooKeeperNamingOptions>("zookeeperNaming options", options, KNOWN);
  const sessionTimeoutMs = positive("sessionTimeoutMs", o.sessionTimeoutMs, 10_000);
  const requestTimeoutMs = positive("requestTimeoutMs", o.requestTimeoutMs, 5_000);
  numberOption("lingerMs", o.lingerMs, { integer: true, min: 0, unit: " ms" });
  numberOption("fetchTimeoutMs", o.fetchTimeoutMs, { integer: true, min: 1, unit: " ms" });
  const root = stringOption("root", o.root) ?? "/kratos";
  numbersRecord("backoff", o.backoff, ["initialMs", "maxMs"], { min: 0, unit: " ms" });
  const naming = createNaming<BuildOptions>(
    zookeeperBackend({
      // The backend checks it is a connection string.
      servers: o.servers as string,
      layout: withoutDotNames(kratosV1Layout(root)),
      sessionTimeoutMs,
      requestTimeoutMs,
    }),
    {
      pipeline: buildOptions,
      ...(o.lingerMs !== undefined && { lingerMs: o.lingerMs }),
      ...(o.fetchTimeoutMs !== undefined && { fetchTimeoutMs: o.fetchTimeoutMs }),
      ...(o.backoff && { backoff: o.backoff }),
    },
  );
  return withCheckedRegister(naming, MAX_TTL_SECONDS);
};

const KNOWN: readonly (keyof ZooKeeperNamingOptions)[] = [
  "servers",
  "root",
  "sessionTimeoutMs",
  "lingerMs",
  "fetchTimeoutMs",
  "requestTimeoutMs",
  "backoff",
];

const isDotName = (name: string): boolean => name === "." || name === "..";

/**
 * The layout, refusing "." and ".." as an appid or hostname: ZooKeeper paths cannot hold them
 * (its client asserts), where an etcd key can.
 */
const withoutDotNames = (layout: KeyLayout): KeyLayout => ({
  ...layout,
  appIdProblem: (appId) =>
    isDotName(appId) ? `must not be "${appId}" on ZooKeeper (a path segment)` : layout.appIdProblem(appId),
  encode: (i) => {
    if (isDotName(i.appId))
      throw invalidInstance("appId", `must not be "${i.appId}" on ZooKeeper (a path segment)`);
    if (isDotName(i.hostname)) {
      throw invalidInstance("hostname", `must not be "${i.hostname}" on ZooKeeper (a path segment)`);
    }
    return layout.encode(i);
  },
});
