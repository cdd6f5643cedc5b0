import { Observable, type Observer, type Subscriber, type Subscription, type Unsubscribable } from "rxjs";
import { toNamingError, type InstancesInfo, type NamingError } from "../model/index.js";
import type { Backend, WatchMessage } from "../port/index.js";
import { AppSet } from "./app-set.js";
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { LatestSubject } from "./latest-subject.js";
import type { Probe } from "../metrics/probe.js";

export interface SharedWatchOptions {
  readonly backend: Backend;
  /** How long the watch outlives its last subscriber. */
  readonly lingerMs: number;
  readonly report: (error: NamingError) => void;
  /** Called when the backend watch ends (after the linger, or on close): the naming forgets the app. */
  readonly ended?: (watch: SharedWatch) => void;
  readonly backoff?: BackoffOptions;
  /** Told of every new set, of retries and of the end: for metrics. */
  readonly probe?: Probe;
}

// Access denied will not cure itself soon: retried slowly rather than flooding errors$.
const SLOW_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };

/**
 * The one backend watch of an app, hot and shared: however many subscribers, one backend watch;
 * a late subscriber gets the latest set at once (a ReplaySubject(1): LatestSubject); after the last
 * one leaves, the watch lingers `lingerMs` (a consumer that re-subscribes soon finds it warm), then
 * is cancelled, and the next subscriber starts afresh.
 *
 * It never errors for backend faults: a failed watch is reported and resumed, after a capped,
 * jittered backoff, from the last revision applied, so no change is lost or applied twice; a
 * backend that cannot resume sends a snapshot, and only the difference is emitted. `close()`
 * completes it, when the naming closes.
 *
 * It is `share()` over a retrying source, written out by hand: a gateway holds one of these per
 * app, where a chain of operator subscribers would weigh more than the app's own set.
 */
export class SharedWatch extends Observable<InstancesInfo> {
  private readonly prefix: string;
  private subscribers = 0;
  /** The multicast of the current connection; a connection is made when there is none. */
  private subject: LatestSubject<InstancesInfo> | undefined;
  /** The app's set on the current connection: a resumed watch starts after its revision. */
  private set: AppSet | undefined;
  /** The backend watch, or the backoff timer before the next one. */
  private upstream: Subscription | undefined;
  /** Failures since the last message: the backoff grows with them. */
  private failures = 0;
  private linger: Subscription | undefined;
  private closed = false;
  /** Every subscriber's finalizer: one object for all of them. */
  private readonly leave: Unsubscribable = { unsubscribe: () => this.left() };

  constructor(
    private readonly options: SharedWatchOptions,
    readonly appId: string,
  ) {
    super((subscriber) => this.join(subscriber));
    this.prefix = options.backend.layout.appPrefix(appId);
  }

  /** Completes every subscriber and ends the backend watch, for good. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.linger?.unsubscribe();
    this.linger = undefined;
    if (this.subject !== undefined) this.end((subject) => subject.complete());
  }

  private join(subscriber: Subscriber<InstancesInfo>): void {
    if (this.closed) {
      subscriber.complete();
      return;
    }
    this.subscribers++;
    this.linger?.unsubscribe();
    this.linger = undefined;
    const subject = (this.subject ??= new LatestSubject<InstancesInfo>());
    subscriber.add(this.leave);
    subject.subscribe(subscriber);
    // Not when the replay itself made the subscriber leave (a `take(1)`), as `share` does.
    if (this.upstream === undefined && this.subject === subject && this.subscribers > 0) {
      this.set = new AppSet(this.appId, this.options.backend.layout, this.options.report);
      this.connect();
    }
  }

  private left(): void {
    if (--this.subscribers > 0 || this.subject === undefined || this.closed) return;
    const { backend, lingerMs } = this.options;
    this.linger = backend.scheduler.schedule(() => {
      this.linger = undefined;
      this.end(() => undefined);
    }, lingerMs);
  }

  private connect(): void {
    const set = this.set!;
    this.upstream = undefined;
    let source: Subscription;
    try {
      source = this.options.backend.watch(this.prefix, set.revision).subscribe(new Relay(this));
    } catch (e) {
      this.failed(e);
      return;
    }
    // The backend may answer at once: a failure has set the backoff timer as the source, and a
    // subscriber may have closed the naming (or the watch ended) inside a synchronous `next`.
    if (this.set !== set) source.unsubscribe();
    else if (!source.closed) this.upstream = source;
  }

  /** @internal A message of the backend watch. */
  received(message: WatchMessage): void {
    const set = this.set!;
    const { report, probe } = this.options;
    let info: InstancesInfo | undefined;
    switch (message.type) {
      case "snapshot":
        info = set.applySnapshot(message.revision, message.entries);
        break;
      case "batch":
        info = set.applyBatch(message.revision, message.changes);
        break;
      case "fault":
        report(message.error);
        break;
    }
    this.failures = 0;
    if (info === undefined) return;
    probe?.updated(this.appId, set.size);
    this.subject?.next(info);
  }

  /** @internal The backend watch failed: report it, wait the backoff, resume from the set's revision. */
  failed(e: unknown): void {
    if (this.set === undefined) return; // the connection ended inside the backend's subscribe
    const { backend, report, probe } = this.options;
    const error = toNamingError("watch")(e);
    probe?.watchReconnected();
    report(error);
    const delay = backoffDelay(error.recoverable ? this.options.backoff : SLOW_BACKOFF)(++this.failures);
    this.upstream = backend.scheduler.schedule(() => this.connect(), delay);
  }

  /** @internal The backend watch completed: so does the shared watch. */
  completed(): void {
    this.end((subject) => subject.complete());
  }

  /** Ends the connection: the backend watch goes, subscribers are told, the next one starts afresh. */
  private end(tell: (subject: LatestSubject<InstancesInfo>) => void): void {
    const { subject, upstream, set } = this;
    this.subject = undefined;
    this.set = undefined;
    this.upstream = undefined;
    this.failures = 0;
    upstream?.unsubscribe();
    if (subject !== undefined) tell(subject);
    // A watch that never connected (its only subscriber left during the replay) never started.
    if (set === undefined) return;
    this.options.probe?.ended(this.appId);
    this.options.ended?.(this);
  }
}

/** What the backend watch tells its shared watch: one small object rather than three closures. */
class Relay implements Observer<WatchMessage> {
  constructor(private readonly watch: SharedWatch) {}

  next(message: WatchMessage): void {
    this.watch.received(message);
  }

  error(e: unknown): void {
    this.watch.failed(e);
  }

  complete(): void {
    this.watch.completed();
  }
}
