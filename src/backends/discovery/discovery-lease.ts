import { defer, NEVER, ReplaySubject, type Observable } from "rxjs";
import { backendError, toNamingError, type NamingError } from "../../model/index.js";
import type { Lease, Revision } from "../../port/index.js";
import { backoffDelay, type BackoffOptions } from "../../shared/backoff.js";
import { CODE } from "./discovery-codes.js";
import type { Answer } from "./discovery-http.js";
import type { Nodes } from "./discovery-nodes.js";

/** Kratos v1's JSON of an instance, as the layout encodes it. */
interface Wire {
  readonly region: string;
  readonly zone: string;
  readonly env: string;
  readonly appid: string;
  readonly hostname: string;
  readonly addrs: readonly string[];
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: number;
}

/** What a lease needs; `discoveryBackend` fills it in. */
export interface LeaseOptions {
  readonly nodes: Nodes;
  /** Where an instance that names none is registered. */
  readonly zone: string;
  readonly env: string;
  readonly region: string;
  readonly renewIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly report: (error: NamingError) => void;
  readonly backoff?: BackoffOptions;
}

/**
 * A lease on a discovery server is a renew loop: the server keeps an instance while it is renewed
 * (it evicts one not renewed for 90 s), and a renew answered -404 says it no longer has it (it
 * restarted, or evicted it): that is `lost$`, and the core registers again on a new lease.
 *
 * Unlike Kratos' client, a renew that fails is tried again after a short backoff, on the next
 * node, rather than a whole interval later; and an update that changes only status or metadata
 * is a `set`, which keeps the instance's registration (docs/discovery.md#registration).
 */
export class DiscoveryLease implements Lease {
  readonly lost$: Observable<NamingError>;
  /**
   * Never: the server keeps one instance per hostname and says nothing to the registration it
   * replaced, so a second registration of a hostname cannot be told from the first (see
   * docs/discovery.md#registering-one-hostname-twice).
   */
  readonly displaced$: Observable<NamingError> = NEVER;
  private readonly lost = new ReplaySubject<NamingError>(1);
  /** The instances written under this lease, as registered (zone and env filled in). */
  private readonly held = new Map<string, Wire>();
  /** Writes in flight. */
  private readonly writing = new Set<Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;
  private failures = 0;

  constructor(
    readonly id: string,
    private readonly options: LeaseOptions,
  ) {
    this.lost$ = this.lost.asObservable();
  }

  /** Registers the instance encoded in `value` (or `set`s its status and metadata); emits the time, in ns. */
  put(key: string, value: string): Observable<Revision> {
    return defer(() => this.write(key, value));
  }

  private async write(key: string, value: string): Promise<Revision> {
    if (this.ended) throw backendError("register", new Error("the lease is over"), { key });
    const writing = this.send(key, this.filled(JSON.parse(value) as Wire));
    this.writing.add(writing);
    try {
      await writing;
    } finally {
      this.writing.delete(writing);
    }
    return nowNanos();
  }

  private async send(key: string, wire: Wire): Promise<void> {
    const before = this.held.get(key);
    const answer =
      before !== undefined && onlyStatusOrMetadata(before, wire)
        ? await this.call("set", [...identity(wire), ["status", String(wire.status)], metadata(wire)], key)
        : await this.call("register", registerParams(wire), key);
    if (answer.code !== CODE.ok) {
      throw refusal(answer, before === undefined ? "register" : "register or set", key);
    }
    // Held even when revoked meanwhile: the revocation waits for this write, then cancels it.
    this.held.set(key, wire);
    if (this.timer === undefined) this.renewIn(this.options.renewIntervalMs);
  }

  /** Cancels every instance of the lease, within the deadline; never errors. */
  revoke(): Observable<void> {
    return defer(async () => {
      this.end();
      // A register in flight lands after a cancel sent now: wait for it, then cancel it too.
      await Promise.allSettled([...this.writing]);
      const held = [...this.held];
      this.held.clear();
      await Promise.allSettled(held.map(([key, wire]) => this.call("cancel", identity(wire), key)));
    });
  }

  /** Stops renewing, with nothing to cancel: the server lost the instances, or the naming closes. */
  private end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private filled(wire: Wire): Wire {
    const { zone, env, region } = this.options;
    return { ...wire, zone: wire.zone || zone, env: wire.env || env, region: wire.region || region };
  }

  private call(path: string, params: ReadonlyArray<readonly [string, string]>, key: string): Promise<Answer> {
    return this.options.nodes
      .call({
        method: "POST",
        path,
        params,
        deadlineMs: this.options.requestTimeoutMs,
      })
      .catch((e: unknown) => {
        throw toNamingError(path, { key })(e);
      });
  }

  // Not "schedule": RxJS would take an object with a `schedule` method for a scheduler.
  private renewIn(ms: number): void {
    if (this.ended) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), ms);
  }

  private async renew(): Promise<void> {
    for (const [key, wire] of this.held) {
      try {
        const answer = await this.call("renew", identity(wire), key);
        if (this.ended) return;
        if (answer.code === CODE.nothingFound) {
          // Nothing to cancel any more: the core registers again on a new lease.
          this.end();
          this.held.clear();
          this.lost.next(
            backendError("renew", new Error(`the server no longer has ${key} (renew answered -404)`), {
              key,
            }),
          );
          return;
        }
        if (answer.code !== CODE.ok) throw refusal(answer, "renew", key);
      } catch (e) {
        if (this.ended) return;
        this.failures++;
        this.options.report(toNamingError("renew", { key })(e));
        this.renewIn(
          Math.min(backoffDelay(this.options.backoff)(this.failures), this.options.renewIntervalMs),
        );
        return;
      }
    }
    this.failures = 0;
    this.renewIn(this.options.renewIntervalMs);
  }
}

const identity = (w: Wire): [string, string][] => [
  ["zone", w.zone],
  ["env", w.env],
  ["appid", w.appid],
  ["hostname", w.hostname],
];

const metadata = (w: Wire): [string, string] => ["metadata", JSON.stringify(w.metadata)];

const registerParams = (w: Wire): [string, string][] => [
  ...identity(w),
  ["region", w.region],
  ["status", String(w.status)],
  ["version", w.version],
  metadata(w),
  ...w.addrs.map((a): [string, string] => ["addrs", a]),
];

/** Whether `set` can turn `before` into `after`: it changes status and merges metadata, no more. */
const onlyStatusOrMetadata = (before: Wire, after: Wire): boolean =>
  before.region === after.region &&
  before.zone === after.zone &&
  before.env === after.env &&
  before.version === after.version &&
  before.addrs.length === after.addrs.length &&
  before.addrs.every((a, i) => a === after.addrs[i]) &&
  // A key dropped from the metadata would stay: the server merges.
  Object.keys(before.metadata).every((k) => Object.hasOwn(after.metadata, k));

/** An answer other than ok: -400 is final (the server refuses the instance), the rest can be retried. */
const refusal = (answer: Answer, path: string, key: string): NamingError =>
  backendError(
    `${path} on ${answer.node}`,
    new Error(`answered code ${answer.code}: ${JSON.stringify(answer.message)}`),
    { key, recoverable: answer.code !== CODE.badRequest },
  );

const nowNanos = (): Revision => (BigInt(Date.now()) * 1_000_000n).toString();
