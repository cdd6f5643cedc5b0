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
  invalidOption,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import type { Backend } from "../port/index.js";
import { Probe, probeOf, withProbe } from "../metrics/probe.js";
import type { BackoffOptions } from "./backoff.js";
import { registration, type RegisterOptions, type RegistrationEvent } from "./registration.js";
import { resolver, type Resolver } from "./resolver.js";
import { SharedWatch } from "./shared-watch.js";

/**
 * Kratos' Registry + Builder, over one backend: the `Naming` of the public API, whose build
 * options (`O`) are the operators' (core cannot import them).
 *
 * Closing is one rule: `close()` completes every open watch and ends every registration (keys
 * deleted); after it, whatever was made before or after, subscribing to `register` or to a
 * resolver's streams fails with `Closed`, and `fetch()` gives a `Closed` Left.
 */
export interface CoreNaming<O> {
  /** Kratos' Builder.Scheme: "etcd", "memory" or "zookeeper"; the gRPC target scheme. */
  readonly scheme: string;
  /**
   * Registers an instance for as long as the subscription lasts: grants a lease, writes the key,
   * keeps the lease alive, re-grants it when lost; unsubscribing revokes it (the key goes at once).
   * An `Observable<Instance>` updates the stored value on each emission.
   */
  register(
    instance: Instance | Observable<Instance>,
    options?: RegisterOptions,
  ): Observable<RegistrationEvent>;
  /** A resolver of an app (Kratos Builder.Build); every one of the same app shares one watch. */
  build(appId: string, options?: O): Resolver;
  /** Decode errors, backend faults, lease losses: for logs and metrics. Completes on close. */
  readonly errors$: Observable<NamingError>;
  /** The appids this naming watches now, lingering watches included: for diagnostics. */
  apps(): readonly string[];
  /** Ends every watch (instances$ complete) and every registration (keys deleted). */
  close(): Promise<void>;
}

export interface CoreNamingOptions<O> {
  /** Lease TTL of registrations, in seconds. Default 30. */
  readonly ttlSeconds?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /**
   * How long `fetch()` waits for an app's first set before it gives up with a `Backend` error, in
   * ms (Kratos' `Fetch(ctx)` ends with its context). Default 10,000.
   */
  readonly fetchTimeoutMs?: number;
  /** Turns build options into the pipeline of a resolver; undefined for none. */
  readonly pipeline?: (options: O) => MonoTypeOperatorFunction<InstancesInfo> | undefined;
  readonly backoff?: BackoffOptions;
  /** The longest `close()` waits for revocations. Default 1,500 ms, so that `close()` returns within 2 s. */
  readonly closeTimeoutMs?: number;
}

const wholeAtLeast = (option: string, value: number | undefined, fallback: number, min: number): number => {
  const v = value ?? fallback;
  if (!(Number.isInteger(v) && v >= min)) {
    throw invalidOption(option, `must be a whole number >= ${min}, got ${String(value)}`);
  }
  return v;
};

/**
 * Builds a Naming from a backend: the logic every backend shares. Wrong options throw a
 * `NamingError` of tag `InvalidOption` naming the option.
 *
 * Closing is one rule: `close()` completes every open watch and ends every registration (keys
 * deleted); after it, whatever was made before or after, subscribing to `register` or to a
 * resolver's streams fails with `Closed`, and `fetch()` gives a `Closed` Left.
 */
export const createNaming = <O>(backend: Backend, options: CoreNamingOptions<O>): CoreNaming<O> => {
  const ttlSeconds = wholeAtLeast("ttlSeconds", options.ttlSeconds, 30, 1);
  const lingerMs = wholeAtLeast("lingerMs", options.lingerMs, 5_000, 0);
  const fetchTimeoutMs = wholeAtLeast("fetchTimeoutMs", options.fetchTimeoutMs, 10_000, 1);

  const probe = probeOf(backend) ?? new Probe();
  const errors = new Subject<NamingError>();
  const report = (error: NamingError): void => errors.next(error);
  const backendFaults = backend.faults$.subscribe(report);
  const closed$ = new AsyncSubject<void>();
  let closed = false;
  let closing: Promise<void> | undefined;
  // The shared watch of every app watched now (or lingering); an app's entry goes when its watch ends.
  const watches = new Map<string, SharedWatch>();
  // The duplicate guard: appid/hostname of every registration of this naming, with its key.
  const registered = new Map<string, string>();
  const pending = new Set<Promise<unknown>>();

  // One options object for every app's watch.
  const watchOptions = {
    backend,
    lingerMs,
    report,
    probe,
    ended: (watch: SharedWatch) => {
      if (watches.get(watch.appId) === watch) watches.delete(watch.appId);
    },
    ...(options.backoff && { backoff: options.backoff }),
  };

  const shared = (appId: string): Observable<InstancesInfo> => {
    if (closed) return throwError(() => closedError("naming"));
    let watch = watches.get(appId);
    if (watch === undefined) {
      watch = new SharedWatch(watchOptions, appId);
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
    // Every watch completes; completing closed$ ends every registration, which revokes as it ends.
    for (const watch of [...watches.values()]) watch.close();
    closed$.next();
    closed$.complete();
    await Promise.all([...pending]);
    await backend.close();
    backendFaults.unsubscribe();
    errors.complete();
  };

  const registrationDeps = {
    backend,
    ttlSeconds,
    registered,
    closed$,
    isClosed: () => closed,
    report,
    track,
    probe,
    ...(options.backoff && { backoff: options.backoff }),
  };

  return withProbe<CoreNaming<O>>(
    {
      scheme: backend.scheme,
      errors$: errors.asObservable(),
      register: (instance, registerOptions) => registration(registrationDeps, instance, registerOptions),
      build: (appId, buildOptions) =>
        resolver(
          { appId, layout: backend.layout, scheduler: backend.scheduler, fetchTimeoutMs },
          shared,
          buildOptions === undefined ? undefined : options.pipeline?.(buildOptions),
        ),
      apps: () => [...watches.keys()],
      // Every caller of close() waits for the same shutdown, the second as long as the first.
      close: () => (closing ??= shutdown()),
    },
    probe,
  );
};
