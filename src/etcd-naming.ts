import { Etcd3, type IOptions } from "etcd3";
import { etcdBackend, etcdClientOptions, type WatchHubOptions } from "./backends/etcd/index.js";
import { createNaming, type BackoffOptions } from "./core/index.js";
import type { Naming } from "./naming.js";
import { buildOptions, type BuildOptions } from "./operators/build-options.js";

export interface EtcdNamingOptions {
  /** The key prefix: keys are `/<prefix>/<appid>/<hostname>`. Default "kratos_etcd" (Kratos v1). */
  readonly prefix?: string;
  /** Lease TTL of registrations, in seconds. Default 30. */
  readonly ttlSeconds?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
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
 * `client` is either the caller's `Etcd3` client, or the options to make one. A client passed in
 * stays the caller's: `naming.close()` cancels every watch and revokes every lease, and then the
 * caller closes the client. From options, the naming makes the client itself (with
 * `etcdClientOptions()`, which suit rxnaming) and closes it in `naming.close()`.
 *
 * rxnaming's own calls and streams go to the etcd members directly, away from members seen hung
 * or unreachable, so recovery does not depend on the client's fault policy.
 *
 * @example
 * const client = new Etcd3(etcdClientOptions({ hosts: "http://127.0.0.1:2379" }));
 * const naming = etcdNaming(client, { ttlSeconds: 10 });
 * naming.build("demo.service").instances$.subscribe((info) => console.log(info.instances));
 * // ...
 * await naming.close();
 * client.close();
 *
 * @example
 * const naming = etcdNaming({ hosts: ["http://127.0.0.1:2379"] }); // makes and closes its client
 */
export const etcdNaming = (client: Etcd3 | IOptions, options: EtcdNamingOptions = {}): Naming => {
  // Not `instanceof`: a second copy of etcd3 in node_modules makes clients of another class.
  if (!("getAll" in client)) {
    const own = new Etcd3(etcdClientOptions(client));
    const naming = namingOn(own, options);
    return {
      ...naming,
      close: () => naming.close().finally(() => own.close()),
    };
  }
  return namingOn(client, options);
};

const namingOn = (client: Etcd3, options: EtcdNamingOptions): Naming =>
  createNaming<BuildOptions>(
    etcdBackend(client, {
      ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.watch && { watch: options.watch }),
    }),
    {
      prefix: options.prefix ?? "kratos_etcd",
      pipeline: buildOptions,
      ...(options.ttlSeconds !== undefined && { ttlSeconds: options.ttlSeconds }),
      ...(options.lingerMs !== undefined && { lingerMs: options.lingerMs }),
      ...(options.backoff && { backoff: options.backoff }),
    },
  );
