import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Subscriber, Unsubscribable } from "rxjs";
import type { NamingError } from "../../model/index.js";
import type { KeyChange, KeyValue, Revision, WatchMessage } from "../../port/index.js";
import type { Probe } from "../../metrics/probe.js";
import type { PrefixFeeds } from "./prefix-feed.js";
import type { WatchHandlers } from "./watch-hub.js";

/** What every prefix watch of a backend shares. */
export interface PrefixWatchContext {
  readonly feeds: PrefixFeeds;
  /** The whole prefix, with the revision it was read at. */
  readonly range: (
    prefix: string,
  ) => TE.TaskEither<NamingError, { revision: Revision; entries: KeyValue[]; badKeys: NamingError[] }>;
  readonly probe: Probe;
}

/**
 * One subscription of the etcd backend's `watch(prefix, since)`: a snapshot read (unless the
 * caller resumes after `since`), then the prefix's changes after it, read again from scratch
 * when etcd compacted past them. It is the feed's handlers and the subscription's teardown
 * itself: one object per watched app, not a handlers object and its closures.
 */
export class PrefixWatch implements WatchHandlers, Unsubscribable {
  private cancel: (() => void) | undefined;
  private done = false;

  constructor(
    private readonly subscriber: Subscriber<WatchMessage>,
    private readonly context: PrefixWatchContext,
    private readonly prefix: string,
  ) {}

  start(since: Revision | undefined): void {
    if (since === undefined) this.snapshotThenWatch();
    else this.watchAfter(since);
  }

  unsubscribe(): void {
    this.done = true;
    this.cancel?.();
  }

  batch(revision: Revision, changes: readonly KeyChange[]): void {
    this.subscriber.next({ type: "batch", revision, changes });
  }

  skipped(error: NamingError): void {
    this.subscriber.next({ type: "fault", error });
  }

  /** Compacted past our revision: read the whole set again; core emits the difference. */
  compacted(): void {
    this.context.probe.reread();
    this.snapshotThenWatch();
  }

  failed(error: NamingError): void {
    this.subscriber.error(error);
  }

  private watchAfter(after: Revision): void {
    // The consumer may have left inside the snapshot's `next`: its teardown has run already.
    if (this.done) return;
    this.cancel = this.context.feeds.open(this.prefix, after, this);
  }

  private snapshotThenWatch(): void {
    this.cancel = undefined;
    void this.context
      .range(this.prefix)()
      .then((result) => {
        if (this.done) return;
        if (result._tag === "Left") {
          this.subscriber.error(result.left);
          return;
        }
        const { revision, entries, badKeys } = result.right;
        for (const error of badKeys) this.subscriber.next({ type: "fault", error });
        this.subscriber.next({ type: "snapshot", revision, entries });
        this.watchAfter(revision);
      });
  }
}
