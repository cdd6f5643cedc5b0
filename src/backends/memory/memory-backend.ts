import {
  AsyncSubject,
  combineLatest,
  concat,
  defer,
  EMPTY,
  filter,
  map,
  merge,
  Observable,
  of,
  take,
  type Subscription,
} from "rxjs";
import { backendError, closedError, toNamingError, type NamingError } from "../../model/index.js";
import {
  displacedError,
  mayTake,
  type Backend,
  type KeyChange,
  type KeyLayout,
  type Lease,
  type Revision,
  type TakeFrom,
  type WatchMessage,
} from "../../port/index.js";
import { kratosV1Layout } from "../layouts/index.js";
import { MemoryLink } from "./memory-link.js";
import { MemoryStore, MemoryStoreError } from "./memory-store.js";

export interface MemoryBackendOptions {
  /** The store to talk to; a fresh one on `scheduler` when not given. */
  readonly store?: MemoryStore;
  /** This client's line to the store, for tests that partition one client. */
  readonly link?: MemoryLink;
  /** Where keys live and how values look. Default Kratos v1 under "kratos_etcd", as etcd. */
  readonly layout?: KeyLayout;
}

/** The memory backend: the port over a {@link MemoryStore}, through a {@link MemoryLink}. */
export const memoryBackend = (
  options: MemoryBackendOptions & { scheduler?: MemoryStore["scheduler"] },
): Backend => {
  const store =
    options.store ?? new MemoryStore(options.scheduler === undefined ? {} : { scheduler: options.scheduler });
  const link = options.link ?? new MemoryLink();
  const { scheduler } = store;
  const leases = new Set<MemoryLease>();
  let closed = false;

  // Every call goes through here: it fails as a network call would when the line is down.
  const call = <A>(operation: string, f: () => A, key?: string): A => {
    const details = key === undefined ? {} : { key };
    if (closed) throw closedError("memory backend");
    if (!link.isUp) throw backendError(operation, new Error("link to the memory store is cut"), details);
    try {
      return f();
    } catch (e) {
      throw toNamingError(operation, details)(e);
    }
  };
  const reachable$ = combineLatest([
    link.up$,
    concat(
      defer(() => of(store.isAvailable)),
      store.availability$,
    ),
  ]).pipe(map(([up, available]) => up && available));

  const watch = (prefix: string, since?: Revision): Observable<WatchMessage> =>
    defer(() => {
      const start = call("watch", (): WatchMessage[] => {
        const missed = since === undefined ? undefined : store.changesSince(since);
        if (missed === undefined) return [{ type: "snapshot", ...store.range(prefix) }];
        return batchesOf(missed.filter((c) => c.key.startsWith(prefix)));
      });
      store.watchers++;
      const live$ = store.changes$.pipe(
        map((changes) => changes.filter((c) => c.key.startsWith(prefix))),
        filter((changes) => changes.length > 0),
        map((changes): WatchMessage => ({ type: "batch", revision: changes[0]!.revision, changes })),
      );
      // The watch breaks when the store becomes unreachable, as a gRPC stream would.
      const broken$ = reachable$.pipe(
        filter((ok) => !ok),
        take(1),
        map(() => {
          throw backendError(
            "watch",
            new Error(`watch on ${prefix} broken: the memory store is unreachable`),
          );
        }),
      );
      return new Observable<WatchMessage>((subscriber) => {
        // Listen before delivering the start, and hold what arrives meanwhile: a subscriber that
        // writes while it receives the snapshot must see its own write after it, not lose it.
        const held: WatchMessage[] = [];
        let holding = true;
        const inner = merge(live$, broken$).subscribe({
          next: (m) => (holding ? held.push(m) : subscriber.next(m)),
          error: (e: unknown) => subscriber.error(e),
        });
        for (const m of start) subscriber.next(m);
        while (held.length > 0) subscriber.next(held.shift()!);
        holding = false;
        return () => {
          inner.unsubscribe();
          store.watchers--;
        };
      });
    });

  // Synchronous, so that the core runs in virtual time; each subscription is one call.
  const grant = (ttlSeconds: number): Observable<Lease> =>
    defer(() => {
      const id = call("lease grant", () => store.grant(ttlSeconds));
      const lease = new MemoryLease(id, store, reachable$, call, () => leases.delete(lease));
      leases.add(lease);
      return of(lease);
    });

  return {
    scheme: "memory",
    scheduler,
    layout: options.layout ?? kratosV1Layout(),
    // Nothing is shared between watches here: a cut line fails each watch on its own.
    faults$: EMPTY,
    watch,
    grant,
    delete: (key) =>
      defer(() => {
        call("delete", () => store.delete(key));
        return of(undefined);
      }),
    close: async () => {
      closed = true;
      for (const lease of [...leases]) lease.release();
    },
  };
};

/** Groups changes by revision: one batch per transaction, as etcd replays them. */
const batchesOf = (changes: readonly KeyChange[]): WatchMessage[] => {
  const batches: WatchMessage[] = [];
  let current: KeyChange[] = [];
  for (const change of changes) {
    if (current.length > 0 && current[0]!.revision !== change.revision) {
      batches.push({ type: "batch", revision: current[0]!.revision, changes: current });
      current = [];
    }
    current.push(change);
  }
  if (current.length > 0) batches.push({ type: "batch", revision: current[0]!.revision, changes: current });
  return batches;
};

/**
 * A lease in the memory store, held alive while this client's line to the store is up. When the
 * line goes down, the store lets the lease run down from then; when it comes back, the client
 * finds out at once whether the lease survived. (A real client keeps alive every TTL/3; the model
 * leaves out the ticks, which would give a TestScheduler something to run forever.) A lease that
 * expires or is revoked while the line is up is reported lost at once.
 */
class MemoryLease implements Lease {
  readonly id: string;
  private readonly lost = new AsyncSubject<NamingError>();
  readonly lost$ = this.lost.asObservable();
  private readonly displaced = new AsyncSubject<NamingError>();
  readonly displaced$ = this.displaced.asObservable();
  private readonly keepAlive: Subscription;
  private readonly takenAway: Subscription;
  private isLost = false;
  private reachable = false;
  /** The keys written under this lease: never taken back from another once it took them. */
  private readonly written = new Set<string>();

  constructor(
    private readonly leaseId: number,
    private readonly store: MemoryStore,
    reachable$: Observable<boolean>,
    private readonly call: <A>(operation: string, f: () => A, key?: string) => A,
    private readonly onRelease: () => void,
  ) {
    this.id = String(leaseId);
    this.keepAlive = merge(
      reachable$.pipe(
        map((up) => {
          this.reachable = up;
          if (!up) {
            store.release(leaseId); // the store stops hearing from us
            return true;
          }
          try {
            return call("lease keep-alive", () => store.hold(leaseId));
          } catch {
            return true; // unreachable after all: the store decides when the lease expires
          }
        }),
      ),
      store.leaseDropped$.pipe(
        filter((id) => id === leaseId && this.reachable),
        map(() => false),
      ),
    ).subscribe((alive) => {
      if (!alive) this.markLost(`lease ${this.id} expired or was revoked`);
    });
    // The store says at once when a write took one of our keys.
    this.takenAway = store.keyTaken$
      .pipe(filter((t) => t.from === leaseId && this.written.has(t.key)))
      .subscribe((t) => this.markDisplaced(t.key, t.by === undefined ? "0" : String(t.by)));
  }

  put(key: string, value: string, takeFrom: TakeFrom = "anyone"): Observable<Revision> {
    return defer(() => {
      try {
        const revision = this.call(
          "put",
          () => {
            const { exists, lease } = this.store.holderOf(key);
            const holder = lease === undefined ? "0" : String(lease);
            // Ours once and someone else's now: taken, not to be taken back. Never ours: the
            // first write may take it from whom the caller allows.
            const taken = this.written.has(key)
              ? exists && lease !== this.leaseId
              : exists && lease !== this.leaseId && !mayTake(takeFrom, holder);
            if (taken) throw displacedError(key, holder);
            return this.store.put(key, value, this.leaseId);
          },
          key,
        );
        this.written.add(key);
        return of(revision);
      } catch (e) {
        // A put under a lease the store no longer has is how a client learns of the loss early.
        const cause = (e as { cause?: unknown }).cause;
        if (cause instanceof MemoryStoreError && cause.code === "LeaseNotFound") {
          this.markLost(`lease ${this.id} expired or was revoked`);
        }
        throw toNamingError("put", { key })(e);
      }
    });
  }

  revoke(): Observable<void> {
    return defer(() => {
      this.release();
      try {
        this.call("lease revoke", () => this.store.revokeLease(this.leaseId));
      } catch {
        // Unreachable: the store expires the lease at its TTL, as etcd would.
      }
      return of(undefined);
    });
  }

  release(): void {
    this.keepAlive.unsubscribe();
    this.takenAway.unsubscribe();
    this.store.release(this.leaseId); // the client went away: the lease runs down
    this.onRelease();
  }

  private markDisplaced(key: string, holder: string): void {
    if (this.displaced.isStopped) return;
    this.displaced.next(displacedError(key, holder));
    this.displaced.complete();
  }

  private markLost(reason: string): void {
    if (this.isLost) return;
    this.isLost = true;
    this.keepAlive.unsubscribe();
    this.lost.next(backendError("lease keep-alive", new Error(reason), { recoverable: true }));
    this.lost.complete();
  }
}
