import type { SchedulerLike } from "rxjs";
import { memoryBackend, type MemoryLink, type MemoryStore } from "./backends/memory/index.js";

// The store and its links: what a test or the demo shares between namings (`rxnaming/testing`).
export {
  MemoryLink,
  MemoryStore,
  type KeyHolder,
  type KeyTaken,
  type MemoryStoreOptions,
  type RangeResult,
} from "./backends/memory/index.js";
export type { KeyChange, KeyDelete, KeyPut, KeyValue } from "./port/index.js";
import { layoutNamed, type LayoutName } from "./backends/layouts/index.js";
import { createNaming, MAX_TTL_SECONDS, withCheckedRegister } from "./core/index.js";
import { numberOption, objectOption, optionsRecord, stringOption } from "./model/index.js";
import type { Naming } from "./naming.js";
import { buildOptions, type BuildOptions } from "./operators/build-options.js";

/** Options of {@link memoryNaming}. */
export interface MemoryNamingOptions {
  /** Where leases expire, backoff waits and lingering watches time out: a TestScheduler for virtual time. */
  readonly scheduler?: SchedulerLike;
  /** Lease TTL of registrations, in seconds. Default 30. */
  readonly ttlSeconds?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /** How long `fetch()` waits for an app's first set before a `Backend` error, in ms. Default 10,000. */
  readonly fetchTimeoutMs?: number;
  /**
   * The store to share with other namings (as processes share an etcd); by default each naming
   * has its own. Its scheduler wins over `scheduler`.
   */
  readonly store?: MemoryStore;
  /** This naming's line to the store, which a test can cut. */
  readonly link?: MemoryLink;
  /** The key prefix; the layout's default ("kratos_etcd" for Kratos v1), as on etcd. */
  readonly prefix?: string;
  /** Where keys live and how values look, as `etcdNaming`'s `layout`; default "kratos-v1". */
  readonly layout?: LayoutName;
}

/**
 * A Naming on the embedded in-memory backend: revisions, leases that expire on the scheduler,
 * prefix watches and compaction, with the semantics of etcd. For services that need no cluster,
 * and for testing discovery and balancing logic in virtual time.
 *
 * @example
 * const naming = memoryNaming({ scheduler: testScheduler, ttlSeconds: 10 });
 * naming.register({ ...instance }).subscribe();
 * naming.build("demo.service").instances$.subscribe(console.log);
 */
export const memoryNaming = (options?: MemoryNamingOptions): Naming => {
  const o = optionsRecord<MemoryNamingOptions>("memoryNaming options", options, KNOWN);
  const ttlSeconds = numberOption("ttlSeconds", o.ttlSeconds, {
    integer: true,
    min: 1,
    max: MAX_TTL_SECONDS,
    unit: " seconds",
  });
  numberOption("lingerMs", o.lingerMs, { integer: true, min: 0, unit: " ms" });
  numberOption("fetchTimeoutMs", o.fetchTimeoutMs, { integer: true, min: 1, unit: " ms" });
  objectOption("scheduler", o.scheduler, "a SchedulerLike (with schedule and now)", ["schedule", "now"]);
  objectOption("store", o.store, "a MemoryStore", ["range", "put"]);
  objectOption("link", o.link, "a MemoryLink", ["cut", "restore"]);
  const prefix = stringOption("prefix", o.prefix);
  const layout = stringOption("layout", o.layout) ?? "kratos-v1";
  const naming = createNaming<BuildOptions>(
    memoryBackend({
      ...(o.store && { store: o.store }),
      ...(o.link && { link: o.link }),
      ...(o.scheduler && { scheduler: o.scheduler }),
      layout: layoutNamed(layout, prefix),
    }),
    {
      pipeline: buildOptions,
      ...(ttlSeconds !== undefined && { ttlSeconds }),
      ...(o.lingerMs !== undefined && { lingerMs: o.lingerMs }),
      ...(o.fetchTimeoutMs !== undefined && { fetchTimeoutMs: o.fetchTimeoutMs }),
    },
  );
  return withCheckedRegister(naming, MAX_TTL_SECONDS);
};

const KNOWN: readonly (keyof MemoryNamingOptions)[] = [
  "scheduler",
  "ttlSeconds",
  "lingerMs",
  "fetchTimeoutMs",
  "store",
  "link",
  "prefix",
  "layout",
];
