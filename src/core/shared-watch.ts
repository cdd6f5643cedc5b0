import { defer, filter, finalize, map, retry, share, takeUntil, tap, timer, type Observable } from "rxjs";
import { toNamingError, type InstancesInfo, type NamingError } from "../model/index.js";
import type { Backend, WatchMessage } from "../port/index.js";
import { AppSet } from "./app-set.js";
import { retryDelay, type BackoffOptions } from "./backoff.js";
import { LatestSubject } from "./latest-subject.js";
import type { Probe } from "../metrics/probe.js";

export interface SharedWatchOptions {
  readonly backend: Backend;
  /** How long the watch outlives its last subscriber. */
  readonly lingerMs: number;
  /** Emits (or completes) when the naming closes: every watch completes then. */
  readonly closed$: Observable<unknown>;
  readonly report: (error: NamingError) => void;
  /** Called when the backend watch ends (after the linger, or on close): the naming forgets the app. */
  readonly ended?: () => void;
  readonly backoff?: BackoffOptions;
  /** Told of every new set, of retries and of the end: for metrics. */
  readonly probe?: Probe;
}

/**
 * The one backend watch of an app, hot and shared: however many subscribers, one backend watch;
 * a late subscriber gets the latest set at once (a ReplaySubject(1): LatestSubject); after the last one leaves,
 * the watch lingers `lingerMs` (a consumer that re-subscribes soon finds it warm), then is
 * cancelled.
 *
 * It never errors for backend faults: a failed watch is reported and resumed, after a capped,
 * jittered backoff, from the last revision applied, so no change is lost or applied twice; a
 * backend that cannot resume sends a snapshot, and only the difference is emitted. It completes
 * when the naming closes.
 */
export const sharedWatch = (options: SharedWatchOptions, appId: string): Observable<InstancesInfo> => {
  const { backend, report, probe } = options;
  const prefix = backend.layout.appPrefix(appId);
  return defer(() => {
    // One set per connection of the shared stream: after a linger teardown, start afresh.
    const set = new AppSet(appId, backend.layout, report);
    const apply = (message: WatchMessage): InstancesInfo | undefined => {
      switch (message.type) {
        case "snapshot":
          return set.applySnapshot(message.revision, message.entries);
        case "batch":
          return set.applyBatch(message.revision, message.changes);
        case "fault":
          report(message.error);
          return undefined;
      }
    };
    return defer(() => backend.watch(prefix, set.revision)).pipe(
      map(apply),
      retry({
        delay: (e: unknown, attempt) => {
          const error = toNamingError("watch")(e);
          probe?.watchReconnected();
          // Access denied will not cure itself soon: retry it slowly rather than flood errors$.
          const backoff = error.recoverable ? options.backoff : { initialMs: 1_000, maxMs: 30_000 };
          return retryDelay(backend.scheduler, report, backoff)(error, attempt);
        },
        resetOnSuccess: true,
      }),
      filter((info): info is InstancesInfo => info !== undefined),
      tap(() => probe?.updated(appId, set.size)),
    );
  }).pipe(
    takeUntil(options.closed$),
    finalize(() => {
      probe?.ended(appId);
      options.ended?.();
    }),
    share({
      connector: () => new LatestSubject<InstancesInfo>(),
      resetOnError: true,
      resetOnComplete: true,
      // Once closed, no linger: a timer left running would keep the process alive for nothing.
      resetOnRefCountZero: () => timer(options.lingerMs, backend.scheduler).pipe(takeUntil(options.closed$)),
    }),
  );
};
