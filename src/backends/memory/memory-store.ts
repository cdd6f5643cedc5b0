import { asyncScheduler, Subject, type SchedulerLike, type Subscription } from "rxjs";
import type { KeyChange, KeyValue, Revision } from "../../port/index.js";
import { invalidOption } from "../../model/index.js";

/** The longest delay a timer can take. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One stored key, as etcd keeps it. */
interface Stored {
  readonly value: string;
  readonly modRevision: number;
  readonly lease: number | undefined;
}

interface StoredLease {
  readonly id: number;
  readonly ttlMs: number;
  readonly keys: Set<string>;
  /** Pending while nobody keeps the lease alive; none while a connected client holds it. */
  expiry: Subscription | undefined;
}

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Where lease expiry runs: a TestScheduler gives virtual time. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * How many changes the store keeps for watchers resuming from an old revision; older ones are
   * compacted away, as etcd's auto-compaction does. Default 10,000.
   */
  readonly historyLimit?: number;
}

/** What {@link MemoryStore.range} reads. */
export interface RangeResult {
  /** The revision the read reflects. */
  readonly revision: Revision;
  /** Every key under the prefix with its value, in key order. */
  readonly entries: readonly KeyValue[];
}

/** Thrown by {@link MemoryStore} for what etcd would refuse. */
export class MemoryStoreError extends Error {
  constructor(
    readonly code: "LeaseNotFound" | "Unavailable",
    message: string,
  ) {
    super(message);
    this.name = `MemoryStoreError(${code})`;
  }
}

/** Who holds a key now. */
export interface KeyHolder {
  /** Whether the key exists. */
  readonly exists: boolean;
  /** The lease it is written under; undefined for none (or no key). */
  readonly lease: number | undefined;
}

/** A key that a write took from the lease that held it. */
export interface KeyTaken {
  /** The key. */
  readonly key: string;
  /** The lease that held the key. */
  readonly from: number;
  /** The lease that holds it now; undefined for none. */
  readonly by: number | undefined;
}

/**
 * An in-memory key-value store with etcd's semantics where rxnaming depends on them:
 * a global revision bumped by every write, leases whose expiry deletes their keys, watches that
 * resume from a revision, and compaction. It is the embedded backend (`memoryNaming`) and the
 * way to test in virtual time: leases expire on the given scheduler.
 *
 * It also lets a test play the faults a real backend has: `compact()`, `revokeLease()` (an admin
 * revoke) and `setAvailable(false)` (the backend cannot be reached: writes and grants fail, and
 * keep-alives stop, so leases expire).
 */
export class MemoryStore {
  /** Where lease expiry runs. */
  readonly scheduler: SchedulerLike;
  private readonly historyLimit: number;
  private readonly data = new Map<string, Stored>();
  private readonly leases = new Map<number, StoredLease>();
  /**
   * Changes, oldest first; those before `historyStart` were compacted away. Advancing the start
   * and cutting the array only once half of it is dead keeps a trim amortised constant per write.
   */
  private readonly history: { readonly rev: number; readonly change: KeyChange }[] = [];
  private historyStart = 0;
  private revision = 1;
  private compacted = 1;
  private nextLease = 1;
  private available = true;
  private readonly changes = new Subject<readonly KeyChange[]>();
  private readonly dropped = new Subject<number>();
  private readonly taken = new Subject<KeyTaken>();
  private readonly availability = new Subject<boolean>();
  /** How many watches are open: the memory backend's `etcd_debugging_mvcc_watcher_total`. */
  watchers = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  /** Every committed batch of changes, in order; subscribing does not count as a watcher. */
  readonly changes$ = this.changes.asObservable();
  /** Emits when the store becomes reachable (`true`) or unreachable (`false`). */
  readonly availability$ = this.availability.asObservable();
  /** The id of every lease that expired or was revoked, as it goes. */
  readonly leaseDropped$ = this.dropped.asObservable();
  /** Every key written under one lease and then written under another (or none), after the write. */
  readonly keyTaken$ = this.taken.asObservable();

  /** The revision of the last write. */
  get currentRevision(): Revision {
    return String(this.revision);
  }

  /** The oldest revision a watch can resume after: changes up to it are compacted away. */
  get compactRevision(): Revision {
    return String(this.compacted);
  }

  /** Whether the store answers (see `setAvailable`). */
  get isAvailable(): boolean {
    return this.available;
  }

  /** Reads every key under a prefix, with the revision it reflects. */
  range(prefix: string): RangeResult {
    this.assertAvailable();
    const entries: KeyValue[] = [];
    for (const [key, stored] of this.data) {
      if (key.startsWith(prefix)) entries.push({ key, value: stored.value });
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { revision: this.currentRevision, entries };
  }

  /** The value of a key, or undefined. */
  get(key: string): string | undefined {
    return this.data.get(key)?.value;
  }

  /** Whether `key` exists, and the lease that holds it (undefined for none). */
  holderOf(key: string): KeyHolder {
    const stored = this.data.get(key);
    return { exists: stored !== undefined, lease: stored?.lease };
  }

  /** Writes a key, under a lease when given; returns the revision of the write. */
  put(key: string, value: string, lease?: number): Revision {
    this.assertAvailable();
    if (lease !== undefined && !this.leases.has(lease)) {
      throw new MemoryStoreError("LeaseNotFound", `lease ${lease} not found`);
    }
    const rev = this.revision + 1;
    const old = this.data.get(key);
    if (old?.lease !== undefined && old.lease !== lease) this.leases.get(old.lease)?.keys.delete(key);
    this.data.set(key, { value, modRevision: rev, lease });
    if (lease !== undefined) this.leases.get(lease)!.keys.add(key);
    this.commit(rev, [{ type: "put", key, value, revision: String(rev) }]);
    if (old?.lease !== undefined && old.lease !== lease) this.taken.next({ key, from: old.lease, by: lease });
    return String(rev);
  }

  /**
   * Deletes keys; one revision for all of them, as one etcd transaction. Returns the revision, or
   * undefined when nothing was there.
   */
  delete(...keys: string[]): Revision | undefined {
    this.assertAvailable();
    return this.deleteKeys(keys);
  }

  /** Grants a lease of `ttlSeconds` that expires unless kept alive. */
  grant(ttlSeconds: number): number {
    this.assertAvailable();
    if (!(ttlSeconds >= 1)) throw invalidOption("lease TTL", `must be at least 1 second, got ${ttlSeconds}`);
    const id = this.nextLease++;
    const lease: StoredLease = { id, ttlMs: ttlSeconds * 1000, keys: new Set(), expiry: undefined };
    lease.expiry = this.scheduleExpiry(lease);
    this.leases.set(id, lease);
    return id;
  }

  /** Pushes a lease's expiry a TTL into the future; false when the lease is gone. */
  keepAlive(id: number): boolean {
    this.assertAvailable();
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    if (lease.expiry !== undefined) {
      lease.expiry.unsubscribe();
      lease.expiry = this.scheduleExpiry(lease);
    }
    return true;
  }

  /**
   * A connected client keeps the lease alive from now on: no expiry is pending while it holds it.
   * This is keep-alive every TTL/3 with the ticks left out: what matters to anyone watching is
   * only when the keep-alives stop, and leaving out the ticks leaves a `TestScheduler` with
   * nothing to run once the test's own actions are done. False when the lease is gone.
   */
  hold(id: number): boolean {
    if (!this.keepAlive(id)) return false;
    const lease = this.leases.get(id)!;
    lease.expiry?.unsubscribe();
    lease.expiry = undefined;
    return true;
  }

  /**
   * The client holding the lease stopped keeping it alive (its line was cut, or it went away):
   * the lease expires a TTL from now unless held again. Not a call from the client; the store
   * notices the silence.
   */
  release(id: number): void {
    const lease = this.leases.get(id);
    if (lease !== undefined && lease.expiry === undefined) lease.expiry = this.scheduleExpiry(lease);
  }

  /** Whether lease `id` is alive. */
  hasLease(id: number): boolean {
    return this.leases.has(id);
  }

  /** Revokes a lease and deletes its keys at once. Unknown leases are ignored. */
  revokeLease(id: number): void {
    this.assertAvailable();
    this.dropLease(id);
  }

  /** Forgets history up to `revision`: watchers resuming from before it get a snapshot. */
  compact(revision: Revision = this.currentRevision): void {
    const rev = Math.min(Number(revision), this.revision);
    if (rev <= this.compacted) return;
    this.compactTo(rev);
  }

  /** The changes after `since`, or undefined when they were compacted. */
  changesSince(since: Revision): readonly KeyChange[] | undefined {
    this.assertAvailable();
    const rev = Number(since);
    if (rev < this.compacted) return undefined;
    let start = this.history.length;
    while (start > this.historyStart && this.history[start - 1]!.rev > rev) start--;
    return this.history.slice(start).map((h) => h.change);
  }

  /**
   * Makes the store reachable or not, as a network partition would. While unreachable, every
   * operation throws `Unavailable`, keep-alives fail, and leases run out on the scheduler as a
   * real server would expire them.
   */
  setAvailable(available: boolean): void {
    if (this.available === available) return;
    this.available = available;
    // While the store is unreachable nobody's keep-alives get through: every lease runs down.
    if (!available) for (const id of this.leases.keys()) this.release(id);
    this.availability.next(available);
  }

  private scheduleExpiry(lease: StoredLease): Subscription {
    // A timer longer than 2^31-1 ms fires at once (Node clamps it to 1 ms): wait in steps.
    const drop = (): void => this.dropLease(lease.id);
    const first = Math.min(lease.ttlMs, MAX_TIMER_MS);
    return this.scheduler.schedule<number>(
      function (left = 0) {
        if (left <= 0) drop();
        else this.schedule(left - Math.min(left, MAX_TIMER_MS), Math.min(left, MAX_TIMER_MS));
      },
      first,
      lease.ttlMs - first,
    );
  }

  private dropLease(id: number): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    lease.expiry?.unsubscribe();
    this.leases.delete(id);
    this.deleteKeys([...lease.keys]);
    this.dropped.next(id);
  }

  private deleteKeys(keys: readonly string[]): Revision | undefined {
    const present = [...new Set(keys)].filter((k) => this.data.has(k));
    if (present.length === 0) return undefined;
    const rev = this.revision + 1;
    const changes: KeyChange[] = [];
    for (const key of present) {
      const old = this.data.get(key)!;
      if (old.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
      this.data.delete(key);
      changes.push({ type: "delete", key, revision: String(rev) });
    }
    this.commit(rev, changes);
    return String(rev);
  }

  private commit(rev: number, changes: KeyChange[]): void {
    this.revision = rev;
    for (const change of changes) this.history.push({ rev, change });
    if (this.history.length - this.historyStart > this.historyLimit) {
      // Compact whole revisions only, so a watcher never resumes into half a transaction.
      this.compactTo(this.history[this.history.length - this.historyLimit - 1]!.rev);
    }
    this.changes.next(changes);
  }

  /** Forgets the changes up to revision `rev`. */
  private compactTo(rev: number): void {
    this.compacted = rev;
    while (this.historyStart < this.history.length && this.history[this.historyStart]!.rev <= rev) {
      this.historyStart++;
    }
    if (this.historyStart * 2 >= this.history.length) {
      this.history.splice(0, this.historyStart);
      this.historyStart = 0;
    }
  }

  private assertAvailable(): void {
    if (!this.available) throw new MemoryStoreError("Unavailable", "memory backend is unavailable");
  }
}
