import { backendError, type NamingError } from "../../model/index.js";
import { backoffDelay, type BackoffOptions } from "../../shared/backoff.js";
import { etcdError } from "./etcd-errors.js";
import type { Opened } from "./members.js";
import { quietlyClose, quietlyWrite, type DuplexStream } from "./streams.js";

/**
 * Where a shared stream is in its life. One explicit state instead of flags that could disagree:
 * a timer exists only while backing off, a stream and its ticker only while open. Every change
 * goes through {@link StreamEngine.enter}.
 */
export type EngineState<S> =
  /** Nothing needs the stream. */
  | { readonly tag: "idle" }
  | ConnectingState
  | OpenState<S>
  /** The stream broke; the next one is opened when the timer fires. */
  | { readonly tag: "backing-off"; readonly timer: ReturnType<typeof setTimeout> }
  /** For good. */
  | { readonly tag: "closed" };

/**
 * A stream is being opened. `attempt` tells this open from one that a release overtook: a stale
 * open that lands is closed, and its failure is nobody's fault.
 */
interface ConnectingState {
  readonly tag: "connecting";
  readonly attempt: number;
}

/** The stream is up. Its events and ticks count only while this very state is current. */
interface OpenState<S> {
  readonly tag: "open";
  readonly stream: S;
  readonly host: string | undefined;
  /** When the oldest request still owed an answer was sent. */
  awaitingSince: number | undefined;
  /** Whether a silence is being checked with `confirm` (no second check meanwhile). */
  confirming: boolean;
  readonly ticker: ReturnType<typeof setInterval>;
}

/** What a hub tells the engine about its stream. */
export interface StreamEngineSpec<Req, Res> {
  /** For messages: "watch stream", "lease keep-alive stream". */
  readonly name: string;
  /** Opens a new stream (to a member that is not suspect, when there is one). */
  readonly open: () => Promise<Opened<DuplexStream<Req, Res>>>;
  /** Whether anything rides on the stream now: when not, it is not (re)opened. */
  readonly wanted: () => boolean;
  /** The stream is open: send what it must carry (every watch's create, every lease's keep-alive). */
  readonly opened: () => void;
  readonly data: (res: Res) => void;
  /** A fault of the stream as a whole, reported once per outage (not per watch or lease on it). */
  readonly fault: (error: NamingError) => void;
  /** The member `host` failed the stream with `error`: send the next one elsewhere for a while. */
  readonly suspect: (host: string | undefined, error: NamingError) => void;
  /** Reconnect backoff. Default 100 ms doubling to 1 s, jittered. */
  readonly backoff?: BackoffOptions;
  /** How often the engine checks the stream (and calls `tick`). */
  readonly tickMs: number;
  /** How long a request may go unanswered before the stream is deemed hung, ms (read on each tick). */
  readonly silentMs: () => number;
  /** Called on each tick while open, e.g. to send a probe. */
  readonly tick?: () => void;
  /**
   * Asked before a silent stream is given up: resolves true when the member is known to be alive
   * by other means (etcd's gRPC proxy does not answer progress requests, for one) and the stream
   * worth waiting for; false when it is not alive; or why the stream must be re-made all the same.
   */
  readonly confirm?: (host: string | undefined) => Promise<boolean | string>;
  /** The stream is open again after a failure: for metrics. */
  readonly reopened?: () => void;
  /** Runs before the stream is re-made after `error` (e.g. to refresh an expired auth token). */
  readonly beforeReconnect?: (error: NamingError) => Promise<void>;
}

/**
 * One shared gRPC stream with its life handled once: open when wanted, notice a break or a silence
 * (a hung or cut-off member), suspect the member, report the fault once, back off (jittered), and
 * open again while something still needs it. The watch hub and the keep-alive hub each run one,
 * and only say what goes over it.
 */
export class StreamEngine<Req, Res> {
  private current: EngineState<DuplexStream<Req, Res>> = { tag: "idle" };
  /** The last open attempt's token. */
  private attempts = 0;
  /** Failures since the stream was last heard from: the backoff grows with them. */
  private failures = 0;
  /** Whether this outage was reported already: once per outage, however many retries it takes. */
  private reported = false;

  constructor(private readonly spec: StreamEngineSpec<Req, Res>) {}

  /** The state, for tests and for the hubs. */
  get state(): EngineState<DuplexStream<Req, Res>>["tag"] {
    return this.current.tag;
  }

  /** The member the open stream runs to. */
  get host(): string | undefined {
    return this.current.tag === "open" ? this.current.host : undefined;
  }

  /** Something needs the stream: open it, unless it is open, opening, or waiting out a backoff. */
  want(): void {
    if (this.current.tag === "idle") this.connect();
  }

  /** Sends on the open stream; `answered` requests start the silence clock. False when not open. */
  send(request: Req, answered = true): boolean {
    const state = this.current;
    if (state.tag !== "open") return false;
    if (answered) state.awaitingSince ??= Date.now();
    quietlyWrite(state.stream, request);
    return true;
  }

  /** Nothing needs the stream any more: end it (or the pending open or reconnect) and go idle. */
  release(): void {
    this.enter({ tag: "idle" });
  }

  /** The stream cannot go on (a refused token, say): break it as if the member had. */
  fail(error: unknown): void {
    const state = this.current;
    if (state.tag === "open") this.broken(state, error);
  }

  /** Ends the stream for good. */
  close(): void {
    this.enter({ tag: "closed" });
  }

  /**
   * The one place the state changes: what the state left behind holds (a stream, its ticker, a
   * timer) is let go here, without counting as a member's failure. Closed stays closed.
   */
  private enter(next: EngineState<DuplexStream<Req, Res>>): void {
    const left = this.current;
    switch (left.tag) {
      case "closed":
        return;
      case "open":
        clearInterval(left.ticker);
        quietlyClose(left.stream);
        break;
      case "backing-off":
        clearTimeout(left.timer);
        break;
      case "idle":
      case "connecting":
        break;
    }
    this.current = next;
  }

  private connect(): void {
    const connecting: ConnectingState = { tag: "connecting", attempt: ++this.attempts };
    this.enter(connecting);
    this.spec.open().then(
      ({ stream, host }) => {
        if (this.current !== connecting) {
          // Released, closed or overtaken meanwhile.
          quietlyClose(stream);
          return;
        }
        if (!this.spec.wanted()) {
          quietlyClose(stream);
          this.enter({ tag: "idle" });
          return;
        }
        const opened: OpenState<DuplexStream<Req, Res>> = {
          tag: "open",
          stream,
          host,
          awaitingSince: undefined,
          confirming: false,
          ticker: setInterval(() => this.tick(opened), this.spec.tickMs),
        };
        this.enter(opened);
        if (this.failures > 0) this.spec.reopened?.();
        stream
          .on("data", (res: Res) => this.onData(opened, res))
          .on("error", (err: Error) => this.broken(opened, err))
          .on("end", () => this.broken(opened, new Error(`${this.spec.name} ended by the server`)));
        this.spec.opened();
      },
      (err: unknown) => this.broken(connecting, err),
    );
  }

  private onData(opened: OpenState<DuplexStream<Req, Res>>, res: Res): void {
    if (this.current !== opened) return;
    opened.awaitingSince = undefined;
    this.failures = 0;
    this.reported = false;
    this.spec.data(res);
  }

  /** The open stream or the attempt to open one failed; nothing happens if it is no longer current. */
  private broken(state: ConnectingState | OpenState<DuplexStream<Req, Res>>, err: unknown): void {
    if (this.current !== state) return;
    const error = etcdError(this.spec.name)(err);
    if (state.tag === "open") this.spec.suspect(state.host, error);
    const before = this.spec.beforeReconnect?.(error) ?? Promise.resolve();
    const delay = backoffDelay(this.spec.backoff)(++this.failures);
    const timer = setTimeout(() => {
      if (this.current.tag !== "backing-off" || this.current.timer !== timer) return;
      this.enter({ tag: "idle" });
      void before
        .catch(() => undefined)
        .then(() => {
          if (this.current.tag === "idle" && this.spec.wanted()) this.connect();
        });
    }, delay);
    // Not unref'd: an open watch or a held lease keeps the process alive while etcd is away, as
    // its stream does while etcd is up. A process that only watches must not exit because etcd died.
    this.enter({ tag: "backing-off", timer });
    if (!this.reported) {
      this.reported = true;
      this.spec.fault(error);
    }
  }

  /** Checks the open stream for a silence, else lets the hub tick (send a probe, say). */
  private tick(opened: OpenState<DuplexStream<Req, Res>>): void {
    if (this.current !== opened || opened.confirming) return;
    const silentMs = this.spec.silentMs();
    if (opened.awaitingSince === undefined || Date.now() - opened.awaitingSince <= silentMs) {
      this.spec.tick?.();
      return;
    }
    const hung = (why = "etcd member hung or unreachable"): void =>
      this.broken(
        opened,
        backendError(this.spec.name, new Error(`${this.spec.name} silent for over ${silentMs} ms: ${why}`), {
          recoverable: true,
        }),
      );
    if (this.spec.confirm === undefined) return hung();
    opened.confirming = true;
    void this.spec.confirm(opened.host).then(
      (alive) => {
        opened.confirming = false;
        if (typeof alive === "string") hung(alive);
        else if (!alive) hung();
        else if (this.current === opened) opened.awaitingSince = undefined;
      },
      () => {
        opened.confirming = false;
        hung();
      },
    );
  }
}
