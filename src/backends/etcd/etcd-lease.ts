import * as TE from "fp-ts/lib/TaskEither.js";
import {
  CompareResult,
  CompareTarget,
  EtcdLeaseInvalidError,
  type ICompare,
  type ILeaseGrantResponse,
  type ITxnRequest,
  type ITxnResponse,
} from "etcd3";
import { AsyncSubject, defer, from, tap, type Observable } from "rxjs";
import type { NamingError } from "../../model/index.js";
import { conditionalWrite } from "../common/conditional-write.js";
import { LostSignal } from "../common/lost-signal.js";
import {
  displacedError,
  fromTaskEither,
  type Lease,
  type Revision,
  type TakeFrom,
} from "../../port/index.js";
import { etcdError } from "./etcd-errors.js";
import type { KeepAliveHub } from "./keepalive-hub.js";
import type { Members } from "./members.js";
import type { OwnershipWatch } from "./ownership-watch.js";

// A revoke that cannot get through is harmless (the lease expires at its TTL), but a call still
// in flight would hold the connection open after `naming.close()`: keep it short.
const REVOKE_DEADLINE_MS = 1_000;

// How many times in one put the key is found changed by someone else and the write retried
// against what was found, before the put fails (and the registration retries it with backoff).
const MAX_TRIES = 5;

/** The condition "`key` was last written at `revision`" (0: the key does not exist). */
const modIs = (key: Buffer, revision: string | number): ICompare => ({
  key,
  target: CompareTarget.Mod,
  result: CompareResult.Equal,
  mod_revision: revision,
});

/** What an etcd lease needs of its backend. */
export interface EtcdLeaseContext {
  readonly members: Members;
  readonly keepAlive: KeepAliveHub;
  readonly ownership: OwnershipWatch;
  /** The deadline of each call, ms. */
  readonly deadlineMs: number;
}

/**
 * An etcd lease, kept alive by the backend's {@link KeepAliveHub}. `lost$` emits once, when etcd
 * let the lease go (or a put under it found it gone); `displaced$` once, when a key written under
 * it was written under another lease (seen by the backend's {@link OwnershipWatch}, or by a put).
 */
export class EtcdLease implements Lease {
  private readonly lost = new LostSignal();
  readonly lost$: Observable<NamingError> = this.lost.lost$;
  private readonly displaced = new AsyncSubject<NamingError>();
  readonly displaced$: Observable<NamingError> = this.displaced.asObservable();
  private readonly stopKeepAlive: () => void;
  /** Each key's mod revision after this lease's last confirmed write of it. */
  private readonly written = new Map<string, string>();
  /** Stops watching who holds each key written. */
  private readonly watching = new Map<string, () => void>();
  private readonly members: Members;
  private readonly deadlineMs: number;

  private constructor(
    private readonly context: EtcdLeaseContext,
    readonly id: string,
    ttlSeconds: number,
  ) {
    this.members = context.members;
    this.deadlineMs = context.deadlineMs;
    this.stopKeepAlive = context.keepAlive.add(id, ttlSeconds, (error) => this.markLost(error));
  }

  /** Grants a lease of `ttlSeconds` within the deadline, and keeps it alive. */
  static grant(context: EtcdLeaseContext, ttlSeconds: number): TE.TaskEither<NamingError, EtcdLease> {
    const { members, deadlineMs } = context;
    return TE.tryCatch(async () => {
      const request = { TTL: ttlSeconds };
      const res = await members.unary<ILeaseGrantResponse>(
        {
          service: "Lease",
          method: "leaseGrant",
          request,
          fallback: (options) => members.client.leaseClient.leaseGrant(request, options),
        },
        deadlineMs,
      );
      return new EtcdLease(context, String(res.ID), ttlSeconds);
    }, etcdError("lease grant"));
  }

  /**
   * Writes `key` under this lease, on condition that nobody wrote it since this lease's last
   * confirmed write (or, the first time, that it is not under this lease yet, and held by nobody
   * or by a lease `takeFrom` allows).
   *
   * Why a condition: a put whose deadline passed is not a put that failed. A member that was
   * paused holds the request in its socket and, once resumed, forwards it to the new leader,
   * which applies it after the retries that did succeed: an `Observable<Instance>` update could
   * be overwritten by its own earlier value that way. With the condition, such a late write finds
   * the key moved on and changes nothing. When the condition fails, the key as it is tells which
   * case this is: our own value under our lease (an earlier try landed: done), deleted (written
   * again), or under another lease: taken by a newer registration, which this lease never
   * takes back (see docs/registration.md#takeover).
   */
  put(key: string, value: string, takeFrom: TakeFrom = "anyone"): Observable<Revision> {
    return fromTaskEither(
      TE.tryCatch(
        () => this.putOnCondition(key, value, takeFrom),
        (e) => {
          // etcd says the lease is gone: that is how a writer learns of the loss first.
          if (e instanceof EtcdLeaseInvalidError) this.markLost(etcdError("put", key)(e));
          return etcdError("put", key)(e);
        },
      ),
    );
  }

  private putOnCondition(key: string, value: string, takeFrom: TakeFrom): Promise<Revision> {
    const k = Buffer.from(key);
    const last = this.written.get(key);
    let compare: ICompare =
      last !== undefined
        ? modIs(k, last)
        : takeFrom === "anyone"
          ? { key: k, target: CompareTarget.Lease, result: CompareResult.NotEqual, lease: this.id }
          : modIs(k, 0);
    return conditionalWrite<Revision>({
      key,
      takeFrom,
      wroteBefore: last !== undefined,
      maxTries: MAX_TRIES,
      tryWrite: async () => {
        const request: ITxnRequest = {
          compare: [compare],
          success: [{ request_put: { key: k, value: Buffer.from(value), lease: this.id } }],
          failure: [{ request_range: { key: k } }],
        };
        const res = await this.members.unary<ITxnResponse>(
          {
            service: "KV",
            method: "txn",
            request,
            fallback: (options) => this.members.client.kv.txn(request, options),
          },
          this.deadlineMs,
        );
        if (res.succeeded) return { written: this.confirm(key, res.header.revision) };
        const found = res.responses[0]?.response_range.kvs[0];
        const holder = found === undefined ? undefined : String(found.lease);
        if (found !== undefined && holder === this.id && found.value.toString() === value) {
          return { written: this.confirm(key, found.mod_revision) };
        }
        // Deleted (mod revision 0 compares equal to a missing key), ours, or another's: the next
        // try writes over what was found, if it is still there.
        compare = modIs(k, found?.mod_revision ?? 0);
        return { changed: true, ...(holder !== undefined && holder !== this.id && { holder }) };
      },
      displaced: (holder) => this.markDisplaced(key, holder),
      gaveUp: () => new Error(`${key} changed under the put ${MAX_TRIES} times in a row (another writer?)`),
    });
  }

  private confirm(key: string, revision: string): Revision {
    this.written.set(key, revision);
    if (!this.watching.has(key) && !this.lost.settled) {
      const stop = this.context.ownership.hold(key, this.id, revision, (holder) =>
        this.markDisplaced(key, holder),
      );
      this.watching.set(key, stop);
    }
    return revision;
  }

  revoke(): Observable<void> {
    return defer(() => {
      this.release();
      const ms = Math.min(this.deadlineMs, REVOKE_DEADLINE_MS);
      const request = { ID: this.id };
      const revoked = this.members.unary(
        {
          service: "Lease",
          method: "leaseRevoke",
          request,
          fallback: (options) => this.members.client.leaseClient.leaseRevoke(request, options),
        },
        ms,
      );
      return from(
        revoked.then(
          () => undefined,
          () => undefined, // unreachable or already gone: etcd expires it at its TTL
        ),
      );
    }).pipe(tap({ complete: () => this.lost.end() }));
  }

  /** Stops the keep-alive without revoking: the lease then expires at its TTL. */
  release(): void {
    this.stopKeepAlive();
    this.stopWatching();
    if (!this.displaced.isStopped) this.displaced.complete();
  }

  private stopWatching(): void {
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
  }

  private markLost(error: NamingError): void {
    if (this.lost.settled) return;
    this.stopKeepAlive();
    this.stopWatching();
    this.lost.fire(error);
  }

  /**
   * `key` is under another lease now: it is not ours to write or delete any more, and the lease,
   * which held it alone, is not kept alive for it (the registration revokes it as it ends).
   */
  private markDisplaced(key: string, holder: string): void {
    this.watching.get(key)?.();
    this.watching.delete(key);
    if (this.displaced.isStopped) return;
    this.stopKeepAlive();
    this.displaced.next(displacedError(key, holder));
    this.displaced.complete();
  }
}
