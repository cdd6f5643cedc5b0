import { Etcd3, type IOptions } from "etcd3";
import { etcdBackend, etcdClientOptions, type WatchHubOptions } from "./backends/etcd/index.js";
import { layoutNamed, type LayoutName } from "./backends/layouts/index.js";
import { createNaming, MAX_TTL_SECONDS, withCheckedRegister, type BackoffOptions } from "./core/index.js";
import {
  describeType,
  invalidOption,
  numberOption,
  numbersRecord,
  optionsRecord,
  stringOption,
} from "./model/index.js";
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
export const etcdNaming = (client: Etcd3 | IOptions, options?: EtcdNamingOptions): Naming => {
  if (typeof client !== "object" || client === null || Array.isArray(client)) {
    throw invalidOption(
      "client",
      `must be an Etcd3 client or its options ({ hosts }), got ${describeType(client)}`,
    );
  }
  const checked = checkedOptions(options);
  // Not `instanceof`: a second copy of etcd3 in node_modules makes clients of another class.
  if (!("getAll" in client)) {
    checkHosts(client.hosts);
    const own = new Etcd3(etcdClientOptions(client));
    let naming: Naming;
    try {
      naming = namingOn(own, checked);
    } catch (e) {
      // Wrong options: nothing of the client may outlive the error.
      own.close();
      throw e;
    }
    return {
      ...naming,
      close: () => naming.close().finally(() => own.close()),
    };
  }
  return namingOn(client, checked);
};

const KNOWN: readonly (keyof EtcdNamingOptions)[] = [
  "prefix",
  "layout",
  "ttlSeconds",
  "lingerMs",
  "fetchTimeoutMs",
  "requestTimeoutMs",
  "backoff",
  "watch",
];

/** The options, checked before a client is made: nothing of a client outlives a wrong option. */
const checkedOptions = (options: unknown): EtcdNamingOptions => {
  const o = optionsRecord<EtcdNamingOptions>("etcdNaming options", options, KNOWN);
  numberOption("ttlSeconds", o.ttlSeconds, { integer: true, min: 1, max: MAX_TTL_SECONDS, unit: " seconds" });
  numberOption("lingerMs", o.lingerMs, { integer: true, min: 0, unit: " ms" });
  numberOption("fetchTimeoutMs", o.fetchTimeoutMs, { integer: true, min: 1, unit: " ms" });
  numberOption("requestTimeoutMs", o.requestTimeoutMs, { integer: true, min: 1, unit: " ms" });
  stringOption("prefix", o.prefix);
  stringOption("layout", o.layout);
  numbersRecord("backoff", o.backoff, ["initialMs", "maxMs"], { min: 0, unit: " ms" });
  const watch = optionsRecord<WatchHubOptions>("watch", o.watch, ["reconnectMs", "probeMs", "hungMs"]);
  numbersRecord("watch.reconnectMs", watch.reconnectMs, ["initial", "max"], { min: 0, unit: " ms" });
  numberOption("watch.probeMs", watch.probeMs, { min: 1, unit: " ms" });
  numberOption("watch.hungMs", watch.hungMs, { min: 1, unit: " ms" });
  return o;
};

/** etcd3's `hosts`: one URL, or a list of at least one. */
const checkHosts = (hosts: unknown): void => {
  const list: unknown[] = Array.isArray(hosts) ? hosts : [hosts];
  if (list.length === 0) throw invalidOption("hosts", "must name at least one etcd endpoint, got []");
  for (const h of list) {
    if (typeof h !== "string" || h === "") {
      throw invalidOption(
        "hosts",
        `must be endpoint URLs such as "http://127.0.0.1:2379", got ${describeType(h)}`,
      );
    }
  }
};

const namingOn = (client: Etcd3, options: EtcdNamingOptions): Naming =>
  withCheckedRegister(namingOf(client, options), MAX_TTL_SECONDS);

const namingOf = (client: Etcd3, options: EtcdNamingOptions): Naming =>
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
