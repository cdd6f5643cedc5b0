import type { IRangeResponse } from "etcd3";
import type { Revision } from "../../port/index.js";
import type { Members } from "./members.js";
import { prefixEnd } from "./prefix-end.js";
import type { PrefixFeeds } from "./prefix-feed.js";

/** A key held by one of our leases, and what to call when another lease takes it. */
interface Holding {
  readonly leaseId: string;
  readonly taken: (holder: string) => void;
}

/** The one watch of an app's prefix for every key of ours under it. */
interface PrefixWatch {
  readonly prefix: string;
  readonly keys: Map<string, Holding>;
  /** The last revision seen: a watch re-opened after a refusal starts after it. */
  after: Revision;
  cancel: (() => void) | undefined;
  retry: ReturnType<typeof setTimeout> | undefined;
}

/** How long a refused ownership watch waits before it is opened again, ms. */
const REOPEN_MS = 1_000;

/**
 * Tells each lease of a backend when a key it wrote is written under another lease: a newer
 * registration of the same instance took it. One watch per app prefix that holds keys of ours,
 * however many leases and keys, and the same etcd watcher as the app's discovery watch when there
 * is one ({@link PrefixFeeds}): a thousand registrations of one app cost one watcher and write
 * nothing. The prefix of a key is the key up
 * to its last "/", where every layout keeps an app's instances.
 * See docs/registration.md#takeover.
 */
export class OwnershipWatch {
  private readonly prefixes = new Map<string, PrefixWatch>();

  constructor(
    private readonly feeds: PrefixFeeds,
    private readonly members: Members,
    private readonly deadlineMs: number,
  ) {}

  /**
   * From `revision` (our write of `key` under `leaseId`) on, calls `taken` once with the new
   * holder when `key` is written under another lease. Returns the function that stops it.
   */
  hold(key: string, leaseId: string, revision: Revision, taken: (holder: string) => void): () => void {
    const prefix = key.slice(0, key.lastIndexOf("/") + 1);
    let watch = this.prefixes.get(prefix);
    const holding: Holding = { leaseId, taken };
    if (watch === undefined) {
      watch = { prefix, keys: new Map(), after: revision, cancel: undefined, retry: undefined };
      this.prefixes.set(prefix, watch);
      watch.keys.set(key, holding);
      this.open(watch);
    } else watch.keys.set(key, holding);
    const w = watch;
    return () => {
      if (w.keys.get(key) !== holding) return;
      w.keys.delete(key);
      if (w.keys.size === 0) this.close(w);
    };
  }

  private open(watch: PrefixWatch): void {
    watch.cancel = this.feeds.open(watch.prefix, watch.after, {
      batch: (revision, changes) => {
        watch.after = revision;
        for (const change of changes) {
          if (change.type === "put") this.written(watch, change.key, change.lease ?? "0");
        }
      },
      // Keys that name no instance are the discovery watch's to report; ours are valid keys.
      skipped: () => undefined,
      // Our start revision was compacted: look at who holds our keys now, and go on from there.
      compacted: () => void this.check(watch),
      failed: () => {
        watch.cancel = undefined;
        watch.retry = setTimeout(() => {
          watch.retry = undefined;
          if (this.prefixes.get(watch.prefix) === watch) this.open(watch);
        }, REOPEN_MS);
      },
    });
  }

  private written(watch: PrefixWatch, key: string, lease: string): void {
    const holding = watch.keys.get(key);
    if (holding === undefined || holding.leaseId === lease) return;
    watch.keys.delete(key);
    if (watch.keys.size === 0) this.close(watch);
    holding.taken(lease);
  }

  /** Reads the prefix's keys (without values) and re-opens the watch after that read. */
  private async check(watch: PrefixWatch): Promise<void> {
    watch.cancel = undefined;
    const start = Buffer.from(watch.prefix);
    const request = { key: start, range_end: prefixEnd(start), keys_only: true };
    try {
      const res = await this.members.unary<IRangeResponse>(
        {
          service: "KV",
          method: "range",
          request,
          fallback: (o) => this.members.client.kv.range(request, o),
        },
        this.deadlineMs,
      );
      if (this.prefixes.get(watch.prefix) !== watch) return;
      watch.after = res.header.revision;
      for (const kv of res.kvs) this.written(watch, kv.key.toString(), String(kv.lease));
      if (this.prefixes.get(watch.prefix) === watch) this.open(watch);
    } catch {
      if (this.prefixes.get(watch.prefix) === watch)
        watch.retry = setTimeout(() => void this.check(watch), REOPEN_MS);
    }
  }

  private close(watch: PrefixWatch): void {
    if (this.prefixes.get(watch.prefix) === watch) this.prefixes.delete(watch.prefix);
    watch.cancel?.();
    watch.cancel = undefined;
    if (watch.retry !== undefined) clearTimeout(watch.retry);
    watch.retry = undefined;
  }

  /** Stops every watch, for good. */
  closeAll(): void {
    for (const watch of [...this.prefixes.values()]) this.close(watch);
  }
}
