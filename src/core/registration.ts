import * as E from "fp-ts/lib/Either.js";
import {
  catchError,
  concatMap,
  connect,
  defer,
  finalize,
  isObservable,
  map,
  merge,
  type Observable,
  of,
  ReplaySubject,
  repeat,
  retry,
  switchMap,
  take,
  takeUntil,
  takeWhile,
  tap,
  throwError,
  timer,
} from "rxjs";
import {
  backendError,
  closedError,
  duplicate,
  instance as validInstance,
  invalidInstance,
  invalidOption,
  toNamingError,
  type Instance,
  type NamingError,
} from "../model/index.js";
import type { Backend, Lease, Revision } from "../port/index.js";
import { backoffDelay, retryDelay, type BackoffOptions } from "./backoff.js";

/** What a registration reports, in order: registered, then updated or lost and registered again. */
export type RegistrationEvent = Registered | Updated | Lost;

/** The key is written under a (new) lease. */
export interface Registered {
  /** "registered". */
  readonly type: "registered";
  /** Where the instance is stored (the layout's key; opaque to the core). */
  readonly key: string;
  /** The lease (etcd) or session (ZooKeeper) that holds the key. */
  readonly leaseId: string;
  /** The backend revision of the write. */
  readonly revision: Revision;
}

/** A new value of an `Observable<Instance>` was written under the same key and lease. */
export interface Updated {
  /** "updated". */
  readonly type: "updated";
  /** Where the instance is stored. */
  readonly key: string;
  /** The lease that holds the key. */
  readonly leaseId: string;
  /** The backend revision of the write. */
  readonly revision: Revision;
}

/**
 * The lease was lost (the backend expired it): a new one is being granted. Exactly the spec's
 * shape; the reason goes to the naming's `errors$`.
 */
export interface Lost {
  /** "lost". */
  readonly type: "lost";
  /** The key that went with the lease. */
  readonly key: string;
}

/** An instance, validated, with its value as the backend's layout stores it. */
interface Stored {
  readonly instance: Instance;
  readonly value: string;
}

/** Options of one registration. */
export interface RegisterOptions {
  /** The lease TTL in seconds; the Naming's `ttlSeconds` (default 30) when not given. */
  readonly ttlSeconds?: number;
}

export interface RegistrationDeps {
  readonly backend: Backend;
  readonly ttlSeconds: number;
  /**
   * The appid/hostname pairs registered by this naming now, with the key each was last written
   * at (the pair itself until then): the duplicate guard, whose error names that key.
   */
  readonly held: Map<string, string>;
  readonly closed$: Observable<unknown>;
  /** Whether the naming is closed: a registration subscribed after that fails with `Closed`. */
  readonly isClosed: () => boolean;
  readonly report: (error: NamingError) => void;
  /** Keeps track of revocations still running, so `close()` can wait for them. */
  readonly track: (teardown: Observable<void>) => void;
  readonly backoff?: BackoffOptions;
}

/**
 * The cold `register` Observable. Subscribing validates, grants a lease, writes the key under
 * it and keeps the lease alive; a lost lease is reported (`lost`) and a new one granted and the
 * key written again, with backoff, for as long as it takes. Faults that retrying can cure never
 * reach the subscriber; an invalid instance, a duplicate, a changed key, or a backend that
 * refuses (permission denied) do, as an error.
 *
 * Unsubscribing (or the naming closing) revokes the lease, which deletes the key at once.
 */
export const registration = (
  deps: RegistrationDeps,
  input: Instance | Observable<Instance>,
  options: RegisterOptions = {},
): Observable<RegistrationEvent> =>
  defer(() => {
    const { backend, report } = deps;
    const { layout, scheduler } = backend;
    // One rule for a closed naming: whenever the Observable was made, subscribing after close fails.
    if (deps.isClosed()) return throwError(() => closedError("naming"));
    const ttl = options.ttlSeconds ?? deps.ttlSeconds;
    if (!(Number.isInteger(ttl) && ttl >= 1)) {
      return throwError(() =>
        invalidOption("ttlSeconds", `must be a whole number of seconds >= 1, got ${ttl}`),
      );
    }
    // The registration's identity: what the duplicate guard holds and what may not change. The
    // key is the layout's to make, and may change with the lease (go-zero names keys by lease).
    let identity: string | undefined;
    let key: string | undefined;
    // Every value is validated and encoded; the identity is fixed by the first.
    const source$ = (isObservable(input) ? input : of(input)).pipe(
      map((raw): Stored => {
        const checked = validInstance(raw);
        if (E.isLeft(checked)) throw checked.left;
        const i = checked.right;
        const problem = layout.appIdProblem(i.appId);
        if (problem !== undefined) throw invalidInstance("appId", problem);
        const id = `${i.appId}/${i.hostname}`;
        if (identity !== undefined && id !== identity) {
          throw invalidInstance(
            "appId/hostname",
            `changed from ${identity} to ${id}: a registration keeps its appId and hostname`,
          );
        }
        identity = id;
        return { instance: i, value: layout.encode(i) };
      }),
    );
    const retryCurable = <T>() =>
      retry<T>({
        delay: (e: unknown, n) => {
          const error = toNamingError("register")(e);
          if (!error.recoverable) throw error;
          return retryDelay(scheduler, report, deps.backoff)(error, n);
        },
        resetOnSuccess: true,
      });

    // One lease: write every value under it until it is lost, then say so and complete.
    const underLease =
      (latest$: Observable<Stored>) =>
      (lease: Lease): Observable<RegistrationEvent> =>
        merge(
          latest$.pipe(
            concatMap((v) => {
              const k = layout.keyOf(v.instance, lease.id);
              return lease.put(k, v.value).pipe(
                retryCurable<Revision>(),
                map((revision) => ({ key: k, revision })),
              );
            }),
            map(({ key: k, revision }, n): RegistrationEvent => {
              key = k;
              deps.held.set(identity!, k);
              return { type: n === 0 ? "registered" : "updated", key: k, leaseId: lease.id, revision };
            }),
          ),
          lease.lost$.pipe(
            take(1),
            map((error): RegistrationEvent => {
              report(error);
              return { type: "lost", key: key ?? layout.keyOf(firstInstance!, lease.id) };
            }),
          ),
        ).pipe(
          takeWhile((e) => e.type !== "lost", true),
          finalize(() => deps.track(lease.revoke())),
        );

    // A backend that keeps dropping leases must not be answered with grant -> put -> lost in a
    // tight loop: a lease lost before it lived one TTL counts as a failure, and the next grant
    // waits a backoff that grows with the failures in a row (a lease that lived resets it).
    let grantedAt = 0;
    let lostInARow = 0;
    const afterLoss = (): Observable<unknown> => {
      lostInARow = scheduler.now() - grantedAt < ttl * 1_000 ? lostInARow + 1 : 1;
      if (lostInARow === 1) return of(0);
      const delay = backoffDelay(deps.backoff)(lostInARow - 1);
      report(
        backendError(
          "register",
          new Error(`lease of ${identity} lost ${lostInARow} times in a row; granting again in ${delay} ms`),
          { key: key ?? identity },
        ),
      );
      return timer(delay, scheduler);
    };

    let firstInstance: Instance | undefined;
    // Leases one after another, for as long as the subscriber stays: a lost one is replaced.
    const held = (latest$: Observable<Stored>, first: Stored): Observable<RegistrationEvent> => {
      const id = identity!;
      const other = deps.held.get(id);
      if (other !== undefined) return throwError(() => duplicate(other));
      // Its key until the first write says otherwise (a layout that names keys by lease, as
      // go-zero does, gets the lease's key then).
      deps.held.set(id, layout.keyOf(first.instance, ""));
      firstInstance = first.instance;
      return defer(() => backend.grant(ttl)).pipe(
        retryCurable<Lease>(),
        tap(() => (grantedAt = scheduler.now())),
        switchMap(underLease(latest$)),
        repeat({ delay: afterLoss }),
        finalize(() => deps.held.delete(id)),
      );
    };

    return source$.pipe(
      // One subscription to the caller's instances for the whole registration, replaying the
      // latest to every lease: a hot source is never re-subscribed after a lost lease.
      connect(
        (latest$) =>
          latest$.pipe(
            take(1),
            switchMap((first) => held(latest$, first)),
          ),
        {
          connector: () => new ReplaySubject<Stored>(1),
        },
      ),
      takeUntil(deps.closed$),
    );
  }).pipe(
    // Errors that reach the subscriber are NamingErrors, whatever threw them.
    catchError((e: unknown) => throwError(() => toNamingError("register")(e))),
  );
