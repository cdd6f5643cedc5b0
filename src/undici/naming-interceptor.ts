import type { Dispatcher, Pool } from "undici";
import { Subject, type Observable, type OperatorFunction } from "rxjs";
import { metricsOption } from "../metrics/metrics-option.js";
import { describeType, invalidOption, numberOption, optionsRecord } from "../model/index.js";
import {
  NamingError,
  p2c,
  ringHash,
  roundRobin,
  trafficMetrics,
  weightedRoundRobin,
  type BuildOptions,
  type EjectionEvent,
  type FaceMetricsOptions,
  type InstancesInfo,
  type Naming,
  type Pick,
  type Picker,
} from "../index.js";
import { AppRoute } from "./app-route.js";
import { CallbackAttempt, ControllerAttempt, takesCallbacks, type AttemptOwner } from "./attempt.js";
import { httpOrigin } from "./http-origin.js";
import { isConnectionFailure, mayRetry } from "./retry-rules.js";

/** The built-in balancers, by the names gRPC uses for them. */
export type BalancerName = "p2c" | "round_robin" | "wrr" | "ring_hash";

/** Options of {@link namingInterceptor}. */
export interface NamingInterceptorOptions {
  /**
   * How an instance is picked: a built-in balancer by name (default `"p2c"`, which learns from every
   * response), or any operator from sets to pickers (a balancer of your own).
   */
  readonly balancer?: BalancerName | OperatorFunction<InstancesInfo, Picker>;
  /** For `"ring_hash"`: the key of a request (e.g. a header's value); requests with one key reach one instance. */
  readonly hashKey?: (request: Dispatcher.DispatchOptions) => string | undefined;
  /** Prefer instances of this zone while it has one (Kratos' zone preference). */
  readonly zone?: string;
  /** Keep only instances whose `metadata.cluster` is one of these. */
  readonly clusters?: readonly string[];
  /** Keep a deterministic subset of this many instances for `clientId` (default `os.hostname()`). */
  readonly subset?: number;
  /** The client id of `subset`. */
  readonly clientId?: string;
  /**
   * Which request hosts are app names: a list, a pattern, or a predicate. Default: every host, so
   * compose the interceptor onto a dispatcher used for calls by name. Other hosts pass through.
   */
  readonly apps?: readonly string[] | RegExp | ((host: string) => boolean);
  /** Options of the connection pool of each instance (connections, timeouts, TLS). */
  readonly pool?: Pool.Options;
  /** How long the first request of an app waits for its first set of instances, default 10 s. */
  readonly firstSetTimeoutMs?: number;
  /**
   * OpenTelemetry metrics of each app's balancer: picks, requests by result and their duration
   * as the balancer saw them, ejections (docs/metrics.md#http). `true` records through the
   * global MeterProvider; `{ meterProvider, endpoint }` says where and adds each instance's
   * address. Default off.
   */
  readonly metrics?: boolean | FaceMetricsOptions;
}

/** An undici interceptor that routes requests by app name; also what it could not use, and a way to stop. */
export interface NamingInterceptor extends Dispatcher.DispatcherComposeInterceptor {
  /** Instances skipped for having no `http(s)://` address, as `InvalidInstance` errors. */
  readonly errors$: Observable<NamingError>;
  /** Stops following every app and closes every instance's pool once its requests have ended. */
  close(): Promise<void>;
}

const KNOWN = [
  "balancer",
  "hashKey",
  "zone",
  "clusters",
  "subset",
  "clientId",
  "apps",
  "pool",
  "firstSetTimeoutMs",
  "metrics",
] as const;

/**
 * An undici interceptor (for `Dispatcher.compose`) that sends `http://<appid>/path` to a live
 * instance of the app, picked by a balancer that learns from every response (5xx and connection
 * failures count as failures). The Host header stays what the caller wrote. A connection that fails
 * before any byte of a response is tried once more on another instance when the request is
 * idempotent (GET, HEAD, OPTIONS, PUT, DELETE, TRACE, or `idempotent: true`) and its body is not a
 * stream. With no instance, a request fails at once with an error naming the app.
 *
 * @example
 * const dispatcher = new Agent().compose(namingInterceptor(naming, { zone: "sh001" }));
 * const res = await fetch("http://demo.service/users/1", { dispatcher });
 */
export const namingInterceptor = (
  naming: Naming,
  options: NamingInterceptorOptions = {},
): NamingInterceptor => {
  if (typeof naming !== "object" || naming === null || typeof naming.build !== "function") {
    throw invalidOption(
      "naming",
      `must be a Naming (from etcdNaming, memoryNaming, ...), got ${typeof naming}`,
    );
  }
  checkKeys(options);
  const balance = balancerOf(options);
  const isApp = appMatcher(options.apps);
  const build = buildOptionsOf(options);
  const firstSetTimeoutMs = options.firstSetTimeoutMs ?? 10_000;
  const errors = new Subject<NamingError>();
  const routes = new Map<string, AppRoute>();

  const routeOf = (appId: string): AppRoute => {
    let route = routes.get(appId);
    if (route === undefined || route.error?._tag === "Closed") {
      route = new AppRoute(
        appId,
        naming.build(appId, build).instances$,
        balance(appId),
        options.pool ?? {},
        firstSetTimeoutMs,
        (e) => errors.next(e),
      );
      routes.set(appId, route);
    }
    return route;
  };

  // Requests name few origins, each many times: parse and match each once.
  const origins = new Map<string, AppOrigin | null>();
  const appOrigin = (origin: string | URL | undefined): AppOrigin | null => {
    if (origin === undefined) return null;
    if (typeof origin !== "string") return isApp(origin.hostname) ? new AppOrigin(origin) : null;
    let app = origins.get(origin);
    if (app === undefined) {
      const parsed = new URL(origin);
      app = isApp(parsed.hostname) ? new AppOrigin(parsed) : null;
      if (origins.size < 10_000) origins.set(origin, app);
    }
    return app;
  };

  const interceptor = (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch =>
    function namingDispatch(request, handler) {
      const origin = appOrigin(request.origin);
      if (origin === null) return dispatch(request, handler);
      const call = new Call(routeOf(origin.hostname), origin, request, handler, options.hashKey);
      call.start();
      return true;
    };

  return Object.assign(interceptor, {
    errors$: errors.asObservable(),
    close: async () => {
      await Promise.all([...routes.values()].map((r) => r.close()));
      routes.clear();
      errors.complete();
    },
  });
};

/** An origin that names an app: what the requests to it send in place of the instance's name. */
class AppOrigin {
  readonly hostname: string;
  /** The Host header the caller wrote, as headers of a request that has none. */
  readonly hostHeaders: Record<string, string>;

  constructor(readonly url: URL) {
    this.hostname = url.hostname;
    this.hostHeaders = { host: url.host };
  }
}

/** What a pool takes: a request's options, and the TLS server name, which undici reads though its types omit it. */
type Options = { -readonly [K in keyof Dispatcher.DispatchOptions]: Dispatcher.DispatchOptions[K] } & {
  servername?: string;
};

/** One request: picks an instance, sends it there, and once more elsewhere if its connection failed. */
class Call implements AttemptOwner {
  private retried = false;
  /** Whether the caller's handler takes undici's callbacks, which the pools speak too. */
  private readonly callbacks: boolean;

  constructor(
    private readonly route: AppRoute,
    private readonly origin: AppOrigin,
    private readonly request: Dispatcher.DispatchOptions,
    readonly handler: Dispatcher.DispatchHandler,
    private readonly hashKey: NamingInterceptorOptions["hashKey"],
  ) {
    this.callbacks = takesCallbacks(handler);
  }

  start(): void {
    if (this.route.picker !== undefined) this.send(undefined);
    else
      this.route.ready.then(
        () => this.send(undefined),
        (e: Error) => this.fail(e),
      );
  }

  retry(error: Error, failed: Pick): boolean {
    if (this.retried || !isConnectionFailure(error) || !mayRetry(this.request)) return false;
    this.retried = true;
    return this.send(failed);
  }

  /** Sends the request to an instance other than `avoid`; false if there is none. */
  private send(avoid: Pick | undefined): boolean {
    const pick = this.pickOther(avoid);
    if (pick === undefined) {
      if (avoid === undefined) this.fail(this.route.error ?? noInstance(this.route.appId));
      return false;
    }
    const target = httpOrigin(pick.instance)!;
    // Copied and then set, not spread: V8 gives spread objects with added keys a shape each,
    // which makes every read of them in undici slow.
    const options: Options = Object.assign({}, this.request);
    options.origin = target;
    options.headers = withHost(this.origin, this.request.headers);
    // The TLS name of an https:// instance; http:// ignores it, and undici need not derive it.
    options.servername = this.origin.hostname;
    this.route
      .poolOf(target)
      .dispatch(
        options,
        this.callbacks ? new CallbackAttempt(this, pick) : new ControllerAttempt(this, pick),
      );
    return true;
  }

  private pickOther(avoid: Pick | undefined): Pick | undefined {
    const picker = this.route.picker;
    if (picker === undefined) return undefined;
    const request = this.hashKey === undefined ? undefined : { hashKey: this.hashKey(this.request) };
    // A few draws: a balancer may pick the failed instance again; one that is alone cannot be avoided.
    for (let draw = 0; draw < 4; draw++) {
      const pick = picker.pick(request);
      if (pick._tag === "None") return undefined;
      if (avoid === undefined || pick.value.instance.hostname !== avoid.instance.hostname) return pick.value;
      pick.value.done({ notSent: true }); // so that the balancer forgets the pick and learns nothing
    }
    return undefined;
  }

  private fail(error: Error): void {
    if (this.callbacks) this.handler.onError!(error);
    else this.handler.onResponseError?.(null as unknown as Dispatcher.DispatchController, error);
  }
}

const noInstance = (appId: string): NamingError =>
  new NamingError("Backend", `no instance of ${appId} has an http:// or https:// address`, {
    recoverable: true,
  });

const checkKeys = (options: NamingInterceptorOptions): void => {
  optionsRecord("namingInterceptor options", options, KNOWN);
  numberOption("firstSetTimeoutMs", options.firstSetTimeoutMs, { min: 0, minExclusive: true, unit: " ms" });
};

type Balance = (appId: string) => OperatorFunction<InstancesInfo, Picker>;
type EjectionListener = (event: EjectionEvent) => void;

/** The balancer of each app, metered when `metrics` asks: its picks after it, its ejections from inside. */
const balancerOf = (options: NamingInterceptorOptions): Balance => {
  const metrics = metricsOption("namingInterceptor", options.metrics);
  const plain = plainBalancerOf(options);
  if (metrics === undefined) return () => plain(undefined);
  return (appId) => {
    const traffic = trafficMetrics({ ...metrics, app: appId });
    if (!traffic.recording) return plain(undefined);
    const balance = plain(traffic.onEvent);
    return (sets) => sets.pipe(balance, traffic.picks);
  };
};

const plainBalancerOf = (
  options: NamingInterceptorOptions,
): ((onEvent: EjectionListener | undefined) => OperatorFunction<InstancesInfo, Picker>) => {
  const chosen = options.balancer ?? "p2c";
  if (typeof chosen === "function") return () => chosen;
  const http = (onEvent: EjectionListener | undefined) =>
    onEvent === undefined ? { addrScheme: "http" } : { addrScheme: "http", ejection: { onEvent } };
  switch (chosen) {
    case "p2c":
      return (onEvent) => p2c(http(onEvent));
    case "round_robin":
      return (onEvent) => roundRobin(http(onEvent));
    case "wrr":
      return (onEvent) => weightedRoundRobin(http(onEvent));
    case "ring_hash":
      if (options.hashKey === undefined)
        throw invalidOption("hashKey", "is needed by the ring_hash balancer");
      return (onEvent) => ringHash(http(onEvent));
    default:
      throw invalidOption(
        "balancer",
        `must be p2c, round_robin, wrr, ring_hash or an operator, got ${describeType(chosen)}`,
      );
  }
};

const appMatcher = (apps: NamingInterceptorOptions["apps"]): ((host: string) => boolean) => {
  if (apps === undefined) return () => true;
  if (typeof apps === "function") return apps;
  if (apps instanceof RegExp) return (host) => apps.test(host);
  if (Array.isArray(apps)) {
    const names = new Set(apps);
    return (host) => names.has(host);
  }
  throw invalidOption("apps", "must be a list of app names, a RegExp or a predicate");
};

const buildOptionsOf = (options: NamingInterceptorOptions): BuildOptions => ({
  ...(options.clusters !== undefined &&
    options.clusters.length > 0 && { filter: { cluster: options.clusters } }),
  ...(options.zone !== undefined && { zone: options.zone }),
  ...(options.subset !== undefined &&
    options.subset > 0 && {
      subset:
        options.clientId === undefined
          ? options.subset
          : { size: options.subset, clientId: options.clientId },
    }),
});

type Headers = Dispatcher.DispatchOptions["headers"];

/** The request's headers with `host` set to the name the caller wrote, unless the caller set one. */
const withHost = (origin: AppOrigin, headers: Headers): Headers => {
  if (headers === undefined || headers === null) return origin.hostHeaders;
  const host = origin.url.host;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === "host") return headers;
    return ["host", host, ...(headers as string[])];
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    const flat: string[] = [];
    for (const [k, v] of headers as Iterable<[string, string]>) flat.push(k, v);
    return withHost(origin, flat);
  }
  const record = headers as Record<string, string | string[] | undefined>;
  for (const k of Object.keys(record)) if (k.length === 4 && k.toLowerCase() === "host") return record;
  return { host, ...record };
};
