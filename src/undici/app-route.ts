import { Pool } from "undici";
import { map, type Observable, type OperatorFunction, tap } from "rxjs";
import { NamingError, type InstancesInfo, type Picker } from "../index.js";
import { httpOrigin } from "./http-origin.js";

/** How an app's requests are routed: its latest picker, and one connection pool per instance origin. */
export class AppRoute {
  /** The latest picker of the app's instances that have an HTTP address; undefined before the first set. */
  picker: Picker | undefined;
  /** Settles when the first set has been seen (or with the reason it was not). */
  readonly ready: Promise<void>;
  private readonly pools = new Map<string, Pool>();
  private readonly subscription;
  private closed: NamingError | undefined;
  private settle: (reason?: NamingError) => void = () => undefined;

  constructor(
    readonly appId: string,
    instances$: Observable<InstancesInfo>,
    balance: OperatorFunction<InstancesInfo, Picker>,
    private readonly poolOptions: Pool.Options,
    firstSetTimeoutMs: number,
    report: (error: NamingError) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (reason) => (reason === undefined ? resolve() : reject(reason));
    });
    this.ready.catch(() => undefined); // awaited by requests, if any: never an unhandled rejection
    const late = setTimeout(
      () => this.settle(new NamingError("Backend", `no set of ${appId} within ${firstSetTimeoutMs} ms`)),
      firstSetTimeoutMs,
    );
    late.unref();
    this.subscription = instances$
      .pipe(
        map((info) => withHttpAddress(info, report)),
        tap((info) => this.keepPoolsOf(info)),
        balance,
      )
      .subscribe({
        next: (picker) => {
          this.picker = picker;
          clearTimeout(late);
          this.settle();
        },
        error: (e: unknown) => this.end(e instanceof NamingError ? e : new NamingError("Backend", String(e))),
        complete: () => this.end(new NamingError("Closed", `the naming that resolves ${appId} was closed`)),
      });
  }

  /** Why this route can no longer route, once it cannot. */
  get error(): NamingError | undefined {
    return this.closed;
  }

  /** The pool of an instance origin, made on first use. */
  poolOf(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, this.poolOptions);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Stops following the app and closes every pool once its requests in flight have ended. */
  async close(): Promise<void> {
    this.subscription.unsubscribe();
    this.end(new NamingError("Closed", `the HTTP interceptor for ${this.appId} was closed`));
  }

  private end(reason: NamingError): void {
    this.closed ??= reason;
    this.settle(this.closed);
    this.picker = undefined;
    for (const pool of this.pools.values()) void pool.close();
    this.pools.clear();
  }

  // An instance that leaves gets no new request from here on (the next picker does not hold it),
  // and its pool closes once the requests already sent to it have ended.
  private keepPoolsOf(info: InstancesInfo): void {
    const live = new Set(info.instances.map((i) => httpOrigin(i)));
    for (const [origin, pool] of this.pools) {
      if (!live.has(origin)) {
        this.pools.delete(origin);
        void pool.close();
      }
    }
  }
}

const told = new WeakSet<object>();

/** The set without instances that have no HTTP address, each reported once. */
const withHttpAddress = (info: InstancesInfo, report: (error: NamingError) => void): InstancesInfo => {
  const usable = info.instances.filter((i) => httpOrigin(i) !== undefined);
  if (usable.length === info.instances.length) return info;
  for (const i of info.instances) {
    if (httpOrigin(i) === undefined && !told.has(i)) {
      told.add(i);
      report(
        new NamingError(
          "InvalidInstance",
          `${i.appId}/${i.hostname} has no http:// or https:// address (${i.addrs.join(", ") || "none"}): not used for HTTP`,
          { field: "addrs" },
        ),
      );
    }
  }
  return { ...info, instances: usable };
};
