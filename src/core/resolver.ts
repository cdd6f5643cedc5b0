import * as TE from "fp-ts/lib/TaskEither.js";
import {
  firstValueFrom,
  identity,
  map,
  ReplaySubject,
  share,
  takeUntil,
  throwError,
  type MonoTypeOperatorFunction,
  type Observable,
} from "rxjs";
import {
  closedError,
  invalidInstance,
  nameProblem,
  toNamingError,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";

/** Kratos' Resolver (Fetch / Watch / Close), as streams. */
export interface Resolver {
  readonly appId: string;
  /** Hot, shared, replays the latest set; never errors for backend faults; completes on close. */
  readonly instances$: Observable<InstancesInfo>;
  /** The current set; waits for the first load. */
  fetch(): TE.TaskEither<NamingError, InstancesInfo>;
  /** Emits on every change (Kratos Watch). */
  watch(): Observable<void>;
  /** Completes this resolver's streams; the app's shared watch goes on for other resolvers. */
  close(): Promise<void>;
}

/**
 * A resolver over an app's shared watch, with its own pipeline (the BuildOptions) applied once
 * for all of its subscribers, not once per subscriber.
 */
export const resolver = (
  appId: string,
  shared: (appId: string) => Observable<InstancesInfo>,
  pipeline: MonoTypeOperatorFunction<InstancesInfo> | undefined,
): Resolver => {
  const problem = nameProblem(appId);
  if (problem !== undefined) return invalidResolver(appId, invalidInstance("appId", problem));
  const closed = new ReplaySubject<void>(1);
  // takeUntil before the share, not after: after it, every subscriber would pay for its own
  // takeUntil and its own subscription to `closed` (twice the heap of a bare subscriber).
  const instances$ = shared(appId).pipe(
    takeUntil(closed),
    pipeline ?? identity,
    share({ connector: () => new ReplaySubject<InstancesInfo>(1), resetOnRefCountZero: true }),
  );
  return {
    appId,
    instances$,
    fetch: () =>
      TE.tryCatch(
        () => firstValueFrom(instances$),
        (e) =>
          e instanceof Error && e.name === "EmptyError"
            ? closedError(`resolver of ${appId}`)
            : toNamingError("fetch")(e),
      ),
    watch: () => instances$.pipe(map((): void => undefined)),
    close: async () => {
      closed.next();
      closed.complete();
    },
  };
};

/** A resolver for an appId that can never be valid: every stream fails with the reason. */
const invalidResolver = (appId: string, error: NamingError): Resolver => ({
  appId,
  instances$: throwError(() => error),
  fetch: () => TE.left(error),
  watch: () => throwError(() => error),
  close: async () => undefined,
});
