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
  throwError,
} from "rxjs";
import {
  duplicate,
  encodeInstance,
  instance as validInstance,
  invalidInstance,
  toNamingError,
  type Instance,
  type NamingError,
} from "../model/index.js";
import type { Backend, Lease, Revision } from "../port/index.js";
import { retryDelay, type BackoffOptions } from "./backoff.js";

/** What a registration reports, in order: registered, then updated or lost and registered again. */
export type RegistrationEvent =
  /** The key is written under a (new) lease. */
  | {
      readonly type: "registered";
      readonly key: string;
      readonly leaseId: string;
      readonly revision: Revision;
    }
  /** A new value of an `Observable<Instance>` was written under the same key and lease. */
  | { readonly type: "updated"; readonly key: string; readonly leaseId: string; readonly revision: Revision }
  /**
   * The lease was lost (the backend expired it): a new one is being granted. Exactly the spec's
   * shape; the reason goes to the naming's `errors$`.
   */
  | { readonly type: "lost"; readonly key: string };

/** An instance as the backend stores it. */
interface Stored {
  readonly key: string;
  readonly value: string;
}

export interface RegisterOptions {
  /** The lease TTL in seconds; the Naming's `ttlSeconds` (default 30) when not given. */
  readonly ttlSeconds?: number;
}

export interface RegistrationDeps {
  readonly backend: Backend;
  readonly keyOf: (i: Instance) => string;
  readonly ttlSeconds: number;
  /** Keys registered by this naming now: the duplicate guard. */
  readonly held: Set<string>;
  readonly closed$: Observable<unknown>;
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
    const ttl = options.ttlSeconds ?? deps.ttlSeconds;
    if (!(Number.isInteger(ttl) && ttl >= 1)) {
      return throwError(() =>
        invalidInstance("ttlSeconds", `must be a whole number of seconds >= 1, got ${ttl}`),
      );
    }
    let key: string | undefined;
    // Every value is validated and encoded; the key is fixed by the first.
    const source$ = (isObservable(input) ? input : of(input)).pipe(
      map((raw) => {
        const checked = validInstance(raw);
        if (E.isLeft(checked)) throw checked.left;
        const k = deps.keyOf(checked.right);
        if (key !== undefined && k !== key) {
          throw invalidInstance(
            "appId/hostname",
            `changed from ${key} to ${k}: a registration keeps its key`,
          );
        }
        key = k;
        return { key: k, value: encodeInstance(checked.right) };
      }),
    );
    const retryCurable = <T>() =>
      retry<T>({
        delay: (e: unknown, n) => {
          const error = toNamingError("register")(e);
          if (!error.recoverable) throw error;
          return retryDelay(backend.scheduler, report, deps.backoff)(error, n);
        },
        resetOnSuccess: true,
      });

    // One lease: write every value under it until it is lost, then say so and complete.
    const underLease =
      (latest$: Observable<Stored>) =>
      (lease: Lease): Observable<RegistrationEvent> =>
        merge(
          latest$.pipe(
            concatMap((v) => lease.put(v.key, v.value).pipe(retryCurable<Revision>())),
            map((revision, n): RegistrationEvent => ({
              type: n === 0 ? "registered" : "updated",
              key: key!,
              leaseId: lease.id,
              revision,
            })),
          ),
          lease.lost$.pipe(
            take(1),
            map((error): RegistrationEvent => {
              report(error);
              return { type: "lost", key: key! };
            }),
          ),
        ).pipe(
          takeWhile((e) => e.type !== "lost", true),
          finalize(() => deps.track(lease.revoke())),
        );

    // Leases one after another, for as long as the subscriber stays: a lost one is replaced.
    const held = (latest$: Observable<Stored>, first: Stored): Observable<RegistrationEvent> => {
      if (deps.held.has(first.key)) return throwError(() => duplicate(first.key));
      deps.held.add(first.key);
      return defer(() => backend.grant(ttl)).pipe(
        retryCurable<Lease>(),
        switchMap(underLease(latest$)),
        repeat(),
        finalize(() => deps.held.delete(first.key)),
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
