import { kratosV1Layout } from "./backends/layouts/index.js";
import { zookeeperBackend } from "./backends/zookeeper/index.js";
import { createNaming, type BackoffOptions } from "./core/index.js";
import { invalidOption } from "./model/index.js";
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

const positive = (option: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback;
  if (!(Number.isInteger(v) && v >= 1))
    throw invalidOption(option, `must be a whole number >= 1, got ${String(value)}`);
  return v;
};

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
  if (typeof options !== "object" || options === null) {
    throw invalidOption("options", `must be an object with servers, got ${String(options)}`);
  }
  const sessionTimeoutMs = positive("sessionTimeoutMs", options.sessionTimeoutMs, 10_000);
  const requestTimeoutMs = positive("requestTimeoutMs", options.requestTimeoutMs, 5_000);
  return createNaming<BuildOptions>(
    zookeeperBackend({
      servers: options.servers,
      layout: kratosV1Layout(options.root ?? "/kratos"),
      sessionTimeoutMs,
      requestTimeoutMs,
    }),
    {
      pipeline: buildOptions,
      ...(options.lingerMs !== undefined && { lingerMs: options.lingerMs }),
      ...(options.fetchTimeoutMs !== undefined && { fetchTimeoutMs: options.fetchTimeoutMs }),
      ...(options.backoff && { backoff: options.backoff }),
    },
  );
};
