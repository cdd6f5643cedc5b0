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
import type { Backend, KeyLayout, Lease, Revision, TakeFrom } from "../port/index.js";
import { backoffDelay, retryDelay, type BackoffOptions } from "./backoff.js";
import type { Probe } from "../metrics/probe.js";

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
 * The lease was lost (the backend expired it): a new one is being granted. Exactly the shape of
 * docs/registration.md; the reason goes to the naming's `errors$`.
 */
export interface Lost {
  /** "lost". */
  readonly type: "lost";
  /** The key that went with the lease. */
  readonly key: string;
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
  readonly registered: Map<string, string>;
  readonly closed$: Observable<unknown>;
  /** Whether the naming is closed: a registration subscribed after that fails with `Closed`. */
  readonly isClosed: () => boolean;
  readonly report: (error: NamingError) => void;
  /** Keeps track of revocations still running, so `close()` can wait for them. */
  readonly track: (teardown: Observable<void>) => void;
  readonly backoff?: BackoffOptions;
  /** Told of lost leases and of keys written again: for metrics. */
  readonly probe?: Probe;
}

/** An instance, validated, with its value as the backend's layout stores it. */
interface Stored {
  readonly instance: Instance;
  readonly value: string;
}

/**
 * Everything one registration remembers between its leases, in one place. The identity is fixed
 * by the first instance; the key may change with the lease (go-zero names keys by lease).
 */
interface RegistrationState {
  readonly ttlSeconds: number;
  /** "appId/hostname": what the duplicate guard holds and what may not change. */
  identity: string | undefined;
  /** The first instance: names the key before anything is written. */
  first: Instance | undefined;
  /** The key last written. */
  key: string | undefined;
  /** Every lease granted so far, oldest first: a key under one of them is this registration's own. */
  readonly leases: string[];
  /** When the current lease was granted (scheduler time). */
  grantedAt: number;
  /** How many leases in a row were lost before they lived one TTL. */
  lostInARow: number;
}

/**
 * The cold `register` Observable. Subscribing validates, grants a lease, writes the key under
 * it and keeps the lease alive; a lost lease is reported (`lost`) and a new one granted and the
 * key written again, with backoff, for as long as it takes. Faults that retrying can cure never
 * reach the subscriber; an invalid instance, a duplicate, a changed key, a newer registration
 * that took the key (`Duplicate`), or a backend that refuses for good do, as an error.
 *
 * Unsubscribing (or the naming closing) revokes the lease, which deletes the key at once (a key
 * another registration took is not the lease's any more, and stays). See docs/registration.md.
 */
export const registration = (
  deps: RegistrationDeps,
  input: Instance | Observable<Instance>,
  options: RegisterOptions = {},
): Observable<RegistrationEvent> =>
  defer(() => {
    // One rule for a closed naming: whenever the Observable was made, subscribing after close fails.
    if (deps.isClosed()) return throwError(() => closedError("naming"));
    const ttlSeconds = options.ttlSeconds ?? deps.ttlSeconds;
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 1)) {
      return throwError(() =>
        invalidOption("ttlSeconds", `must be a whole number of seconds >= 1, got ${ttlSeconds}`),
      );
    }
    const state: RegistrationState = {
      ttlSeconds,
      identity: undefined,
      first: undefined,
      key: undefined,
      leases: [],
      grantedAt: 0,
      lostInARow: 0,
    };
    return (isObservable(input) ? input : of(input)).pipe(
      map(stored(deps.backend.layout, state)),
      // One subscription to the caller's instances for the whole registration, replaying the
      // latest to every lease: a hot source is never re-subscribed after a lost lease.
      connect(
        (latest$) =>
          latest$.pipe(
            take(1),
            switchMap((first) => leasesInTurn(deps, state, latest$, first)),
          ),
        { connector: () => new ReplaySubject<Stored>(1) },
      ),
      takeUntil(deps.closed$),
    );
  }).pipe(
    // Errors that reach the subscriber are NamingErrors, whatever threw them.
    catchError((e: unknown) => throwError(() => toNamingError("register")(e))),
  );

/** Validates and encodes every value; the first fixes the identity, which may not change after. */
const stored =
  (layout: KeyLayout, state: RegistrationState) =>
  (raw: Instance): Stored => {
    const checked = validInstance(raw);
    if (E.isLeft(checked)) throw checked.left;
    const i = checked.right;
    const problem = layout.appIdProblem(i.appId);
    if (problem !== undefined) throw invalidInstance("appId", problem);
    const id = `${i.appId}/${i.hostname}`;
    if (state.identity !== undefined && id !== state.identity) {
      throw invalidInstance(
        "appId/hostname",
        `changed from ${state.identity} to ${id}: a registration keeps its appId and hostname`,
      );
    }
    state.identity = id;
    return { instance: i, value: layout.encode(i) };
  };

/** Retries what retrying can cure, with backoff; anything else ends the registration. */
const retryCurable = <T>(deps: RegistrationDeps) =>
  retry<T>({
    delay: (e: unknown, n) => {
      const error = toNamingError("register")(e);
      if (!error.recoverable) throw error;
      return retryDelay(deps.backend.scheduler, deps.report, deps.backoff)(error, n);
    },
    resetOnSuccess: true,
  });

/**
 * Leases one after another, for as long as the subscriber stays: a lost one is replaced. The
 * naming's duplicate guard holds the identity meanwhile.
 */
const leasesInTurn = (
  deps: RegistrationDeps,
  state: RegistrationState,
  latest$: Observable<Stored>,
  first: Stored,
): Observable<RegistrationEvent> => {
  const { backend } = deps;
  const id = state.identity!;
  const other = deps.registered.get(id);
  if (other !== undefined) return throwError(() => duplicate(other));
  // Its key until the first write says otherwise (a layout that names keys by lease, as go-zero
  // does, gets the lease's key then).
  deps.registered.set(id, backend.layout.keyOf(first.instance, ""));
  state.first = first.instance;
  return defer(() => backend.grant(state.ttlSeconds)).pipe(
    retryCurable<Lease>(deps),
    map((lease) => {
      // The first lease takes the key from whoever holds it (the newest registration wins); a
      // lease granted after a loss only from this registration's own earlier leases.
      const takeFrom: TakeFrom = state.leases.length === 0 ? "anyone" : [...state.leases];
      state.leases.push(lease.id);
      state.grantedAt = backend.scheduler.now();
      return { lease, takeFrom };
    }),
    switchMap(({ lease, takeFrom }) => underLease(deps, state, latest$, lease, takeFrom)),
    repeat({ delay: () => paceAfterLoss(deps, state) }),
    finalize(() => deps.registered.delete(id)),
  );
};

/**
 * One lease: every value written under it, until it is lost (then `lost`, and complete) or a
 * newer registration takes the key (then the `Duplicate` error). Revoked when it ends.
 */
const underLease = (
  deps: RegistrationDeps,
  state: RegistrationState,
  latest$: Observable<Stored>,
  lease: Lease,
  takeFrom: TakeFrom,
): Observable<RegistrationEvent> =>
  merge(
    writes(deps, state, latest$, lease, takeFrom),
    lease.lost$.pipe(
      take(1),
      map((error): RegistrationEvent => {
        deps.report(error);
        deps.probe?.leaseLost(state.first!.appId);
        return { type: "lost", key: state.key ?? deps.backend.layout.keyOf(state.first!, lease.id) };
      }),
    ),
    lease.displaced$.pipe(switchMap((error) => throwError(() => error))),
  ).pipe(
    takeWhile((e) => e.type !== "lost", true),
    finalize(() => deps.track(lease.revoke())),
  );

/** Writes each value under `lease`, in order: `registered` for the first, `updated` after. */
const writes = (
  deps: RegistrationDeps,
  state: RegistrationState,
  latest$: Observable<Stored>,
  lease: Lease,
  takeFrom: TakeFrom,
): Observable<RegistrationEvent> =>
  latest$.pipe(
    concatMap((v) => {
      const key = deps.backend.layout.keyOf(v.instance, lease.id);
      return lease.put(key, v.value, takeFrom).pipe(
        retryCurable<Revision>(deps),
        map((revision) => ({ key, revision })),
      );
    }),
    tap(({ key }) => {
      state.key = key;
      deps.registered.set(state.identity!, key);
    }),
    map(({ key, revision }, n): RegistrationEvent => {
      // The first write under a lease granted after a loss: registered again.
      if (n === 0 && state.leases.length > 1) deps.probe?.reregistered(state.first!.appId);
      return { type: n === 0 ? "registered" : "updated", key, leaseId: lease.id, revision };
    }),
  );

/**
 * A backend that keeps dropping leases must not be answered with grant -> put -> lost in a tight
 * loop: a lease lost before it lived one TTL counts as a failure, and the next grant waits a
 * backoff that grows with the failures in a row (a lease that lived resets it).
 */
const paceAfterLoss = (deps: RegistrationDeps, state: RegistrationState): Observable<unknown> => {
  const { scheduler } = deps.backend;
  const young = scheduler.now() - state.grantedAt < state.ttlSeconds * 1_000;
  state.lostInARow = young ? state.lostInARow + 1 : 1;
  if (state.lostInARow === 1) return of(0);
  const delay = backoffDelay(deps.backoff)(state.lostInARow - 1);
  deps.report(
    backendError(
      "register",
      new Error(
        `lease of ${state.identity} lost ${state.lostInARow} times in a row; granting again in ${delay} ms`,
      ),
      { key: state.key ?? state.identity },
    ),
  );
  return timer(delay, scheduler);
};
