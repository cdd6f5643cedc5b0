import type { SchedulerLike } from "rxjs";
import { memoryBackend, type MemoryLink, type MemoryStore } from "./backends/memory/index.js";
import { layoutNamed, type LayoutName } from "./backends/layouts/index.js";
import { createNaming } from "./core/index.js";
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
export const memoryNaming = (options: MemoryNamingOptions = {}): Naming =>
  createNaming<BuildOptions>(
    memoryBackend({
      ...(options.store && { store: options.store }),
      ...(options.link && { link: options.link }),
      ...(options.scheduler && { scheduler: options.scheduler }),
      layout: layoutNamed(options.layout ?? "kratos-v1", options.prefix),
    }),
    {
      pipeline: buildOptions,
      ...(options.ttlSeconds !== undefined && { ttlSeconds: options.ttlSeconds }),
      ...(options.lingerMs !== undefined && { lingerMs: options.lingerMs }),
      ...(options.fetchTimeoutMs !== undefined && { fetchTimeoutMs: options.fetchTimeoutMs }),
    },
  );
