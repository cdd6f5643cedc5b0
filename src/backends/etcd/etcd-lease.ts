import * as TE from "fp-ts/lib/TaskEither.js";
import { EtcdLeaseInvalidError, type Etcd3 } from "etcd3";
import { AsyncSubject, defer, from, map, tap, type Observable } from "rxjs";
import type { NamingError } from "../../model/index.js";
import { fromTaskEither, type Lease, type Revision } from "../../port/index.js";
import { etcdError, withDeadline } from "./etcd-errors.js";
import type { KeepAliveHub } from "./keepalive-hub.js";

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
    private readonly client: Etcd3,
    readonly id: string,
    ttlSeconds: number,
    hub: KeepAliveHub,
    private readonly deadlineMs: number,
  ) {
    this.stopKeepAlive = hub.add(id, ttlSeconds, (error) => this.markLost(error));
  }

  /** Grants a lease of `ttlSeconds` within the deadline, and keeps it alive. */
  static grant(
    client: Etcd3,
    hub: KeepAliveHub,
    ttlSeconds: number,
    deadlineMs: number,
  ): TE.TaskEither<NamingError, EtcdLease> {
    return TE.tryCatch(async () => {
      const deadline = new Date(Date.now() + deadlineMs);
      const res = await withDeadline(
        "lease grant",
        deadlineMs,
        client.leaseClient.leaseGrant({ TTL: ttlSeconds }, { deadline }),
      );
      return new EtcdLease(client, String(res.ID), ttlSeconds, hub, deadlineMs);
    }, etcdError("lease grant"));
  }

  put(key: string, value: string): Observable<Revision> {
    const deadline = (): Date => new Date(Date.now() + this.deadlineMs);
    return fromTaskEither(
      TE.tryCatch(
        () =>
          withDeadline(
            "put",
            this.deadlineMs,
            this.client.put(key).value(value).lease(this.id).options({ deadline: deadline() }).exec(),
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
      const revoked = this.client.leaseClient.leaseRevoke(
        { ID: this.id },
        { deadline: new Date(Date.now() + ms) },
      );
      return from(
        withDeadline("lease revoke", ms, revoked).then(
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
