import * as TE from "fp-ts/lib/TaskEither.js";
import {
  firstValueFrom,
  map,
  Observable,
  share,
  throwError,
  timeout,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscriber,
} from "rxjs";
import type { KeyLayout } from "../port/index.js";
import {
  appIdProblem,
  backendError,
  closedError,
  invalidInstance,
  toNamingError,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import { awaitableTask, type AwaitableTask } from "./awaitable-task.js";
import { LatestSubject } from "./latest-subject.js";

/** Kratos' Resolver (Fetch / Watch / Close), as streams. */
export interface Resolver {
  /** The app this resolver follows. */
  readonly appId: string;
  /** Hot, shared, replays the latest set; never errors for backend faults; completes on close. */
  readonly instances$: Observable<InstancesInfo>;
  /**
   * The current set; waits for the first load. A `TaskEither` (`fetch()()` runs it) that can also
   * be awaited directly: `const set = await resolver.fetch()` is an `Either`.
   */
  fetch(): AwaitableTask<NamingError, InstancesInfo>;
  /** Emits on every change (Kratos Watch). */
  watch(): Observable<void>;
  /** Completes this resolver's streams; the app's shared watch goes on for other resolvers. */
  close(): Promise<void>;
}

/** What a resolver needs to know besides its app's shared watch. */
export interface ResolverContext {
  readonly appId: string;
  /** The backend's layout, which may not hold every valid appId. */
  readonly layout: KeyLayout;
  /** Where `fetch()`'s deadline runs: the backend's. */
  readonly scheduler: SchedulerLike;
  readonly fetchTimeoutMs: number;
}

/**
 * A resolver over an app's shared watch, with its own pipeline (the BuildOptions) applied once
 * for all of its subscribers, not once per subscriber.
 */
export const resolver = (
  { appId, layout, scheduler, fetchTimeoutMs }: ResolverContext,
  shared: (appId: string) => Observable<InstancesInfo>,
  pipeline: MonoTypeOperatorFunction<InstancesInfo> | undefined,
): Resolver => {
  const problem = appIdProblem(appId) ?? (typeof appId === "string" ? layout.appIdProblem(appId) : undefined);
  if (problem !== undefined) return invalidResolver(String(appId), invalidInstance("appId", problem));
  let closed = false;
  // The subscribers to complete on close(): without a pipeline, they are the app's shared watch's
  // own (no second multicast per resolver); with one, the pipeline's shared connection is.
  let open: Set<Subscriber<unknown>> | undefined;
  const closing = (subscriber: Subscriber<unknown>): void => {
    if (closed) {
      subscriber.complete();
      return;
    }
    const subscribers = (open ??= new Set());
    subscribers.add(subscriber);
    subscriber.add(() => subscribers.delete(subscriber));
  };
  // The app's shared watch is looked up on each subscription, not once: the naming forgets an app
  // whose watch ended, and a resolver that comes back later must join the current one.
  const source = new Observable<InstancesInfo>((subscriber) => {
    closing(subscriber);
    if (!subscriber.closed) shared(appId).subscribe(subscriber);
  });
  // A pipeline runs once for all of the resolver's subscribers, behind a multicast of its own.
  const instances$ =
    pipeline === undefined
      ? source
      : source.pipe(
          pipeline,
          share({ connector: () => new LatestSubject<InstancesInfo>(), resetOnRefCountZero: true }),
        );
  const noSetInTime = (): Observable<never> =>
    throwError(() =>
      backendError(
        "fetch",
        new Error(`no set of ${appId} within ${fetchTimeoutMs} ms: is the backend reachable? (see errors$)`),
      ),
    );
  return {
    appId,
    instances$,
    fetch: () =>
      awaitableTask(
        TE.tryCatch(
          () =>
            firstValueFrom(instances$.pipe(timeout({ first: fetchTimeoutMs, with: noSetInTime, scheduler }))),
          (e) =>
            e instanceof Error && e.name === "EmptyError"
              ? closedError(`resolver of ${appId}`)
              : toNamingError("fetch")(e),
        ),
      ),
    watch: () => instances$.pipe(map((): void => undefined)),
    close: async () => {
      closed = true;
      for (const subscriber of [...(open ?? [])]) subscriber.complete();
    },
  };
};
/** A resolver for an appId that can never be valid: every stream fails with the reason. */
const invalidResolver = (appId: string, error: NamingError): Resolver => ({
  appId,
  instances$: throwError(() => error),
  fetch: () => awaitableTask(TE.left(error)),
  watch: () => throwError(() => error),
  close: async () => undefined,
});
