import {
  AsyncSubject,
  lastValueFrom,
  Subject,
  timeout,
  catchError,
  of,
  throwError,
  defaultIfEmpty,
  type MonoTypeOperatorFunction,
  type Observable,
} from "rxjs";
import {
  closedError,
  nameProblem,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import type { Backend } from "../port/index.js";
import type { BackoffOptions } from "./backoff.js";
import { registration, type RegisterOptions, type RegistrationEvent } from "./registration.js";
import { resolver, type Resolver } from "./resolver.js";
import { sharedWatch } from "./shared-watch.js";

/** Kratos' Registry + Builder, over one backend. `O` is the type of the build options. */
export interface CoreNaming<O> {
  readonly scheme: string;
  register(
    instance: Instance | Observable<Instance>,
    options?: RegisterOptions,
  ): Observable<RegistrationEvent>;
  build(appId: string, options?: O): Resolver;
  readonly errors$: Observable<NamingError>;
  close(): Promise<void>;
}

export interface CoreNamingOptions<O> {
  /** The key prefix, without slashes: keys are `/<prefix>/<appid>/<hostname>`. */
  readonly prefix: string;
  /** Lease TTL of registrations, in seconds. Default 30. */
  readonly ttlSeconds?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /** Turns build options into the pipeline of a resolver; undefined for none. */
  readonly pipeline?: (options: O) => MonoTypeOperatorFunction<InstancesInfo> | undefined;
  readonly backoff?: BackoffOptions;
  /** The longest `close()` waits for revocations. Default 1,500 ms, so that `close()` returns within 2 s. */
  readonly closeTimeoutMs?: number;
}

/** Builds a Naming from a backend: the logic every backend shares. */
export const createNaming = <O>(backend: Backend, options: CoreNamingOptions<O>): CoreNaming<O> => {
  const prefix = options.prefix.replace(/^\/+|\/+$/g, "");
  const problem = nameProblem(prefix.replaceAll("/", "_"));
  if (problem !== undefined) throw new RangeError(`prefix ${problem}`);
  const keyPrefix = `/${prefix}/`;
  const ttlSeconds = options.ttlSeconds ?? 30;
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 1)) {
    throw new RangeError(`ttlSeconds must be a whole number >= 1, got ${ttlSeconds}`);
  }
  const lingerMs = options.lingerMs ?? 5_000;
  if (!(lingerMs >= 0)) throw new RangeError(`lingerMs must be >= 0, got ${lingerMs}`);

  const errors = new Subject<NamingError>();
  const report = (error: NamingError): void => errors.next(error);
  const backendFaults = backend.faults$.subscribe(report);
  const closed$ = new AsyncSubject<void>();
  let closed = false;
  let closing: Promise<void> | undefined;
  const watches = new Map<string, Observable<InstancesInfo>>();
  const held = new Set<string>();
  const pending = new Set<Promise<unknown>>();

  const shared = (appId: string): Observable<InstancesInfo> => {
    let watch = watches.get(appId);
    if (watch === undefined) {
      const opts = {
        backend,
        keyPrefix,
        lingerMs,
        closed$,
        report,
        ...(options.backoff && { backoff: options.backoff }),
      };
      watch = sharedWatch(opts, appId);
      watches.set(appId, watch);
    }
    return watch;
  };

  // A teardown that must finish before `close()` returns, bounded by the close timeout.
  const track = (teardown: Observable<void>): void => {
    const done = lastValueFrom(
      teardown.pipe(
        defaultIfEmpty(undefined),
        timeout({ first: options.closeTimeoutMs ?? 1_500 }),
        catchError(() => of(undefined)),
      ),
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  };

  const shutdown = async (): Promise<void> => {
    closed = true;
    // Completing closed$ ends every watch and registration; registrations revoke as they end.
    closed$.next();
    closed$.complete();
    await Promise.all([...pending]);
    await backend.close();
    backendFaults.unsubscribe();
    errors.complete();
  };

  return {
    scheme: backend.scheme,
    errors$: errors.asObservable(),
    register: (instance, registerOptions) =>
      closed
        ? throwError(() => closedError("naming"))
        : registration(
            {
              backend,
              keyOf: (i) => `${keyPrefix}${i.appId}/${i.hostname}`,
              ttlSeconds,
              held,
              closed$,
              report,
              track,
              ...(options.backoff && { backoff: options.backoff }),
            },
            instance,
            registerOptions,
          ),
    build: (appId, buildOptions) =>
      resolver(appId, shared, buildOptions === undefined ? undefined : options.pipeline?.(buildOptions)),
    // Every caller of close() waits for the same shutdown, the second as long as the first.
    close: () => (closing ??= shutdown()),
  };
};
