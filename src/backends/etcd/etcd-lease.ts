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
import { fromTaskEither, type Lease, type Revision } from "../../port/index.js";
import { etcdError } from "./etcd-errors.js";
import type { KeepAliveHub } from "./keepalive-hub.js";
import type { Members } from "./members.js";

// A revoke that cannot get through is harmless (the lease expires at its TTL), but a call still
// in flight would hold the connection open after `naming.close()`: keep it short.
const REVOKE_DEADLINE_MS = 1_000;

// How many times in one put the key is found changed by someone else and the write retried
// against what was found, before the put fails (and the registration retries it with backoff).
const MAX_CONFLICTS = 5;

/** The condition "`key` was last written at `revision`" (0: the key does not exist). */
const modIs = (key: Buffer, revision: string | number): ICompare => ({
  key,
  target: CompareTarget.Mod,
  result: CompareResult.Equal,
  mod_revision: revision,
});

/**
 * An etcd lease, kept alive by the backend's {@link KeepAliveHub}. `lost$` emits once, when etcd
 * let the lease go (or a put under it found it gone).
 */
export class EtcdLease implements Lease {
  private readonly lost = new AsyncSubject<NamingError>();
  readonly lost$: Observable<NamingError> = this.lost.asObservable();
  private readonly stopKeepAlive: () => void;
  /** Each key's mod revision after this lease's last confirmed write of it. */
  private readonly written = new Map<string, string>();

  private constructor(
    private readonly members: Members,
    readonly id: string,
    ttlSeconds: number,
    hub: KeepAliveHub,
    private readonly deadlineMs: number,
  ) {
    this.stopKeepAlive = hub.add(id, ttlSeconds, (error) => this.markLost(error));
  }

  /** Grants a lease of `ttlSeconds` within the deadline, and keeps it alive. */
  static grant(
    members: Members,
    hub: KeepAliveHub,
    ttlSeconds: number,
    deadlineMs: number,
  ): TE.TaskEither<NamingError, EtcdLease> {
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
      return new EtcdLease(members, String(res.ID), ttlSeconds, hub, deadlineMs);
    }, etcdError("lease grant"));
  }

  /**
   * Writes `key` under this lease, on condition that nobody wrote it since this lease's last
   * confirmed write (or, the first time, that it is not under this lease yet).
   *
   * Why a condition: a put whose deadline passed is not a put that failed. A member that was
   * SIGSTOPped holds the request in its socket and, once resumed, forwards it to the new leader,
   * which applies it after the retries that did succeed: an `Observable<Instance>` update v8
   * was seen overwritten by its own earlier v7 that way (soak, seed 13013, leader paused 8.4 s).
   * With the condition, such a late write finds the key moved on and changes nothing. When the
   * condition fails, the key as it is tells which case this is: our own value under our lease
   * (an earlier try landed: done), or something else (written again, against what was found).
   */
  put(key: string, value: string): Observable<Revision> {
    return fromTaskEither(
      TE.tryCatch(
        () => this.putOnCondition(key, value),
        (e) => {
          // etcd says the lease is gone: that is how a writer learns of the loss first.
          if (e instanceof EtcdLeaseInvalidError) this.markLost(etcdError("put", key)(e));
          return etcdError("put", key)(e);
        },
      ),
    );
  }

  private async putOnCondition(key: string, value: string): Promise<Revision> {
    const k = Buffer.from(key);
    const last = this.written.get(key);
    let compare: ICompare =
      last === undefined
        ? { key: k, target: CompareTarget.Lease, result: CompareResult.NotEqual, lease: this.id }
        : modIs(k, last);
    for (let conflicts = 0; ; conflicts++) {
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
      if (res.succeeded) return this.confirm(key, res.header.revision);
      const found = res.responses[0]?.response_range.kvs[0];
      if (found !== undefined && String(found.lease) === this.id && found.value.toString() === value) {
        return this.confirm(key, found.mod_revision);
      }
      if (conflicts + 1 >= MAX_CONFLICTS) {
        throw new Error(`${key} changed under the put ${MAX_CONFLICTS} times in a row (another writer?)`);
      }
      // Deleted (mod revision 0 compares equal to a missing key) or written by someone else.
      compare = modIs(k, found?.mod_revision ?? 0);
    }
  }

  private confirm(key: string, revision: string): Revision {
    this.written.set(key, revision);
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
    }).pipe(tap({ complete: () => this.lost.complete() }));
  }

  /** Stops the keep-alive without revoking: the lease then expires at its TTL. */
  release(): void {
    this.stopKeepAlive();
  }

  private markLost(error: NamingError): void {
    if (this.lost.isStopped) return;
    this.stopKeepAlive();
    this.lost.next(error);
    this.lost.complete();
  }
}
