import type { Observable, SchedulerLike } from "rxjs";
import { NamingError } from "../model/index.js";
import type { KeyLayout } from "./layout.js";

/**
 * The narrow interface every backend implements (etcd, memory, ZooKeeper). The logic of
 * sharing, set state, retries and leases lives once, in core, above it.
 *
 * Two ideas carry it:
 * - A watch is a stream of whole **snapshots** and **change batches**, each with the revision it
 *   reflects. Core keeps the set and diffs every snapshot against it, so the same code serves
 *   etcd's first read, its re-read after a compaction, and ZooKeeper, which can only re-read.
 * - A **lease** holds keys alive until it is lost (or revoked). For etcd it is an etcd lease;
 *   for ZooKeeper, the session with its ephemeral nodes.
 *
 * One-shot calls are Observables of one value (erroring with a NamingError), not Promises, so
 * that the memory backend can answer synchronously and the whole core runs in virtual time.
 * Backends built on Promises convert at their edge with `fromTaskEither`.
 */
export interface Backend {
  /** Kratos' Builder.Scheme: "etcd", "memory", "zookeeper". */
  readonly scheme: string;
  /** The scheduler for timers in core (backoff, linger); virtual time in marble tests. */
  readonly scheduler: SchedulerLike;
  /** Where this backend keeps each app's instances and how their values look. */
  readonly layout: KeyLayout;

  /**
   * Watches every key under `prefix` (which ends with "/"): an app's `layout.appPrefix`.
   *
   * Without `since`, the first message is a snapshot. With `since`, the backend resumes after that
   * revision, with batches only; when it cannot (the revision was compacted, or the backend has
   * no history), it sends a snapshot instead and goes on from there.
   *
   * Faults that the backend rides out by itself are sent as `fault` messages. The Observable
   * errors (with a NamingError) when the watch cannot go on; core then subscribes again with the
   * last revision it saw, after a backoff. Unsubscribing cancels the backend watch.
   */
  watch(prefix: string, since?: Revision): Observable<WatchMessage>;

  /** Grants a lease that keeps itself alive until lost or revoked. Emits it once. */
  grant(ttlSeconds: number): Observable<Lease>;

  /** Deletes a key, whatever holds it. Emits once when done. */
  delete(key: string): Observable<void>;

  /**
   * Faults of the backend as a whole (a shared stream that broke and is being re-made), once each
   * however many watches or leases ride on it: for the naming's `errors$`. Faults of one watch go
   * in its own `fault` messages instead.
   */
  readonly faults$: Observable<NamingError>;

  /** Ends what the backend itself holds open (not the client that the user passed in). */
  close(): Promise<void>;
}

/** A backend revision: a decimal string (etcd's int64 revisions do not fit a JS number in general). */
export type Revision = string;

/** A key and its value, as a backend stores them. */
export interface KeyValue {
  /** The key. */
  readonly key: string;
  /** Its value, as stored. */
  readonly value: string;
}

/** One change of a key, at the revision it was made. */
export type KeyChange = KeyPut | KeyDelete;

/** A key was written. */
export interface KeyPut {
  /** "put". */
  readonly type: "put";
  /** The key. */
  readonly key: string;
  /** Its new value. */
  readonly value: string;
  /** The revision of the write. */
  readonly revision: Revision;
  /** The lease (etcd) that holds the key after the write, when the backend says; "0" for none. */
  readonly lease?: string;
}

/** A key was deleted (or its lease let it go). */
export interface KeyDelete {
  /** "delete". */
  readonly type: "delete";
  /** The key. */
  readonly key: string;
  /** The revision of the delete. */
  readonly revision: Revision;
}

export type WatchMessage =
  /** Everything under the prefix, as read at `revision`. */
  | { readonly type: "snapshot"; readonly revision: Revision; readonly entries: readonly KeyValue[] }
  /** The changes of one backend batch (an etcd watch response), in order. */
  | { readonly type: "batch"; readonly revision: Revision; readonly changes: readonly KeyChange[] }
  /** A fault the backend rides out by itself (a dropped stream it reconnects): for `errors$`. */
  | { readonly type: "fault"; readonly error: NamingError };

/**
 * Keys held alive together. `lost$` emits (once) when the backend has let the lease go, and with
 * it the keys; the holder must then grant a new one. `displaced$` emits (once) when a key written
 * under the lease was taken by another lease or session: a newer registration of the same
 * instance, in this process or another. See docs/registration.md#takeover.
 */
export interface Lease {
  /** etcd's lease id, or ZooKeeper's session id, as a decimal or hex string. */
  readonly id: string;
  readonly lost$: Observable<NamingError>;
  /**
   * A `Duplicate` NamingError naming the key and the lease or session that holds it now. The
   * lease no longer counts the key as its own: revoking it later leaves the new holder's key be.
   * Detected by the backend (a watch of the app's prefix shared by every lease of the backend, an
   * existence watch, the store itself), without writing anything.
   */
  readonly displaced$: Observable<NamingError>;
  /**
   * Writes `key = value` under this lease; emits the revision of the write.
   *
   * The first write of a key under a lease may take the key from `takeFrom`: from whoever holds it
   * ("anyone": a new registration wins over an older one, so a restarted process takes its old
   * key over at once), or only from the given leases (a registration's own earlier ones, after a
   * loss: a key a newer registration took meanwhile is not taken back). Later writes of the key
   * under the same lease never take it from another. A key it may not take fails the put with
   * a `Duplicate` NamingError (not recoverable) naming the key and its holder.
   */
  put(key: string, value: string, takeFrom?: TakeFrom): Observable<Revision>;
  /**
   * Lets the lease go and deletes its keys; emits once and completes. Never errors: a backend
   * that cannot be reached lets the lease expire by itself. Finishes within the backend's own
   * deadline. A key that another lease or session took is not this lease's: it stays.
   */
  revoke(): Observable<void>;
}

/** Whom the first write of a key under a lease may take it from (see `Lease.put`). */
export type TakeFrom = "anyone" | readonly string[];

/** Whether a key held by `holder` may be taken by a first write allowed to take from `takeFrom`. */
export const mayTake = (takeFrom: TakeFrom, holder: string): boolean =>
  takeFrom === "anyone" || takeFrom.includes(holder);

/** The error of a registration whose key another lease or session holds now. */
export const displacedError = (key: string, holder: string): NamingError =>
  new NamingError(
    "Duplicate",
    `duplicate registration: ${key} is now held by lease or session ${holder} (a newer registration of the same instance); this one stops`,
    { key, recoverable: false },
  );

/** Orders two revisions (non-negative decimal strings without leading zeros). */
export const compareRevision = (a: Revision, b: Revision): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
