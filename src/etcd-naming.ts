import type { Etcd3 } from "etcd3";
import { etcdBackend, type WatchHubOptions } from "./backends/etcd/index.js";
import { layoutNamed, type LayoutName } from "./backends/layouts/index.js";
import { createNaming, type BackoffOptions } from "./core/index.js";
import type { Naming } from "./naming.js";
import { buildOptions, type BuildOptions } from "./operators/build-options.js";

/** Options of {@link etcdNaming}. */
export interface EtcdNamingOptions {
  /**
   * The key prefix, whose default is the layout's: Kratos v1 keys are `/<prefix>/<appid>/<hostname>`,
   * default "kratos_etcd". See `layout`.
   */
  readonly prefix?: string;
  /**
   * Where keys live and how values look (README, "Key layouts"): "kratos-v1" (the default),
   * "kratos-v2" (prefix "/microservices"), "etcd-endpoints" (etcd's gRPC naming, no prefix) or
   * "go-zero" (no prefix). An unknown name is an `InvalidOption` error.
   */
  readonly layout?: LayoutName;
  /** Lease TTL of registrations, in seconds. Default 30. */
  readonly ttlSeconds?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /** How long `fetch()` waits for an app's first set before a `Backend` error, in ms. Default 10,000. */
  readonly fetchTimeoutMs?: number;
  /** The deadline of each etcd call, in ms. Default 5,000. */
  readonly requestTimeoutMs?: number;
  /** Backoff of watch and registration retries. Default 100 ms doubling to 1 s, jittered. */
  readonly backoff?: BackoffOptions;
  /** Tuning of the shared watch stream (reconnect backoff, hung-stream probe). */
  readonly watch?: WatchHubOptions;
}

/**
 * A Naming on etcd, wire-compatible with Kratos v1: keys `/<prefix>/<appid>/<hostname>`, values
 * in Kratos' JSON, registrations under leases.
 *
 * The client is the caller's: `naming.close()` cancels every watch and revokes every lease, and
 * then the caller closes the client. `etcdClientOptions()` gives options that suit rxnaming.
 *
 * @example
 * const client = new Etcd3(etcdClientOptions({ hosts: "http://127.0.0.1:2379" }));
 * const naming = etcdNaming(client, { ttlSeconds: 10 });
 * naming.build("demo.service").instances$.subscribe((info) => console.log(info.instances));
 * // ...
 * await naming.close();
 * client.close();
 */
export const etcdNaming = (client: Etcd3, options: EtcdNamingOptions = {}): Naming =>
  createNaming<BuildOptions>(
    etcdBackend(client, {
      ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.watch && { watch: options.watch }),
      layout: layoutNamed(options.layout ?? "kratos-v1", options.prefix),
    }),
    {
      pipeline: buildOptions,
      ...(options.ttlSeconds !== undefined && { ttlSeconds: options.ttlSeconds }),
      ...(options.lingerMs !== undefined && { lingerMs: options.lingerMs }),
      ...(options.fetchTimeoutMs !== undefined && { fetchTimeoutMs: options.fetchTimeoutMs }),
      ...(options.backoff && { backoff: options.backoff }),
    },
  );
