import * as TE from "fp-ts/lib/TaskEither.js";
import type { Etcd3, Lease as ClientLease } from "etcd3";
import { AsyncSubject, defer, from, map, type Observable } from "rxjs";
import { backendError, type NamingError } from "../../model/index.js";
import { fromTaskEither, type Lease, type Revision } from "../../port/index.js";
import { etcdError, withDeadline } from "./etcd-errors.js";

/**
 * An etcd lease through the `etcd3` client's Lease, which keeps it alive every TTL/3. The
 * client's `lost` can fire twice and also fires when the grant fails: here it becomes one
 * `lost$` emission, and only for a lease that was granted.
 */
export class EtcdLease implements Lease {
  private readonly lost = new AsyncSubject<NamingError>();
  readonly lost$: Observable<NamingError> = this.lost.asObservable();
  private isLost = false;

  private constructor(
    private readonly lease: ClientLease,
    readonly id: string,
    private readonly deadlineMs: number,
  ) {
    lease.on("lost", (err) => this.markLost(err));
  }

  /** Grants a lease of `ttlSeconds` within the deadline. */
  static grant(client: Etcd3, ttlSeconds: number, deadlineMs: number): TE.TaskEither<NamingError, EtcdLease> {
    return TE.tryCatch(async () => {
      const lease = client.lease(ttlSeconds, { autoKeepAlive: true });
      // The client reports a failed grant as `lost` as well; nobody must be left listening for it.
      lease.on("lost", () => undefined);
      try {
        const id = await withDeadline("lease grant", deadlineMs, lease.grant());
        return new EtcdLease(lease, id, deadlineMs);
      } catch (e) {
        lease.release();
        throw e;
      }
    }, etcdError("lease grant"));
  }

  put(key: string, value: string): Observable<Revision> {
    return fromTaskEither(
      TE.tryCatch(
        () =>
          withDeadline(
            "put",
            this.deadlineMs,
            this.lease
              .put(key)
              .value(value)
              .options({ deadline: new Date(Date.now() + this.deadlineMs) })
              .exec(),
          ),
        etcdError("put", key),
      ),
    ).pipe(map((res) => res.header.revision));
  }

  revoke(): Observable<void> {
    return defer(() =>
      from(
        withDeadline(
          "lease revoke",
          this.deadlineMs,
          this.lease.revoke({ deadline: new Date(Date.now() + this.deadlineMs) }),
        ).catch(() => {
          // Unreachable: etcd expires the lease at its TTL. `revoke()` has stopped the keep-alive.
          this.lease.release();
        }),
      ),
    );
  }

  /** Stops the keep-alive without revoking: the lease then expires at its TTL. */
  release(): void {
    this.lease.release();
  }

  private markLost(err: unknown): void {
    if (this.isLost) return;
    this.isLost = true;
    this.lost.next(
      backendError("lease keep-alive", err instanceof Error ? err : new Error(String(err)), {
        recoverable: true,
      }),
    );
    this.lost.complete();
  }
}
