import * as TE from "fp-ts/lib/TaskEither.js";
import { EtcdLeaseInvalidError, type ILeaseGrantResponse, type IPutResponse } from "etcd3";
import { AsyncSubject, defer, from, map, tap, type Observable } from "rxjs";
import type { NamingError } from "../../model/index.js";
import { fromTaskEither, type Lease, type Revision } from "../../port/index.js";
import { etcdError } from "./etcd-errors.js";
import type { KeepAliveHub } from "./keepalive-hub.js";
import type { Members } from "./members.js";

// A revoke that cannot get through is harmless (the lease expires at its TTL), but a call still
// in flight would hold the connection open after `naming.close()`: keep it short.
const REVOKE_DEADLINE_MS = 1_000;

/**
 * An etcd lease, kept alive by the backend's {@link KeepAliveHub}. `lost$` emits once, when etcd
 * let the lease go (or a put under it found it gone).
 */
export class EtcdLease implements Lease {
  private readonly lost = new AsyncSubject<NamingError>();
  readonly lost$: Observable<NamingError> = this.lost.asObservable();
  private readonly stopKeepAlive: () => void;

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

  put(key: string, value: string): Observable<Revision> {
    const request = { key: Buffer.from(key), value: Buffer.from(value), lease: this.id };
    return fromTaskEither(
      TE.tryCatch(
        () =>
          this.members.unary<IPutResponse>(
            {
              service: "KV",
              method: "put",
              request,
              fallback: (options) => this.members.client.kv.put(request, options),
            },
            this.deadlineMs,
          ),
        (e) => {
          // etcd says the lease is gone: that is how a writer learns of the loss first.
          if (e instanceof EtcdLeaseInvalidError) this.markLost(etcdError("put", key)(e));
          return etcdError("put", key)(e);
        },
      ),
    ).pipe(map((res) => res.header.revision));
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
