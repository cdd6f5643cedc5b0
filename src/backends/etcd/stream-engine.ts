import { backendError, type NamingError } from "../../model/index.js";
import { backoffDelay, type BackoffOptions } from "../../shared/backoff.js";
import { etcdError } from "./etcd-errors.js";
import type { Opened } from "./members.js";
import { quietlyClose, quietlyWrite, type DuplexStream } from "./streams.js";

/**
 * Where a shared stream is in its life. One explicit state instead of flags that could disagree:
 * a timer exists only while backing off, a stream only while open.
 */
export type EngineState<S> =
  /** Nothing needs the stream. */
  | { readonly tag: "idle" }
  /** A stream is being opened. */
  | { readonly tag: "connecting" }
  /** The stream is up; `awaitingSince` is when the oldest request still owed an answer was sent. */
  | {
      readonly tag: "open";
      readonly stream: S;
      readonly host: string | undefined;
      awaitingSince: number | undefined;
    }
  /** The stream broke; the next one is opened when the timer fires. */
  | { readonly tag: "backing-off"; readonly timer: ReturnType<typeof setTimeout> }
  /** For good. */
  | { readonly tag: "closed" };

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
  private attempt = 0;
  /** Whether this outage was reported already: once per outage, however many retries it takes. */
  private reported = false;
  private ticker: ReturnType<typeof setInterval> | undefined;

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

  /** Nothing needs the stream any more: end it (or the pending reconnect) and go idle. */
  release(): void {
    if (this.current.tag === "closed") return;
    this.drop();
    this.current = { tag: "idle" };
  }

  /** The stream cannot go on (a refused token, say): break it as if the member had. */
  fail(error: unknown): void {
    const state = this.current;
    if (state.tag === "open") this.broken(state.stream, error);
  }

  /** Ends the stream for good. */
  close(): void {
    this.drop();
    this.current = { tag: "closed" };
  }

  private connect(): void {
    this.current = { tag: "connecting" };
    this.spec.open().then(
      ({ stream, host }) => {
        if (this.current.tag !== "connecting") {
          // Released or closed meanwhile.
          quietlyClose(stream);
          return;
        }
        if (!this.spec.wanted()) {
          quietlyClose(stream);
          this.current = { tag: "idle" };
          return;
        }
        this.current = { tag: "open", stream, host, awaitingSince: undefined };
        stream
          .on("data", (res: Res) => this.onData(stream, res))
          .on("error", (err: Error) => this.broken(stream, err))
          .on("end", () => this.broken(stream, new Error(`${this.spec.name} ended by the server`)));
        this.startTicker(stream);
        this.spec.opened();
      },
      (err: unknown) => {
        if (this.current.tag === "connecting") this.broken(undefined, err);
      },
    );
  }

  private onData(stream: DuplexStream<Req, Res>, res: Res): void {
    const state = this.current;
    if (state.tag !== "open" || state.stream !== stream) return;
    state.awaitingSince = undefined;
    this.attempt = 0;
    this.reported = false;
    this.spec.data(res);
  }

  /** The stream (or the attempt to open one, when `stream` is undefined) failed. */
  private broken(stream: DuplexStream<Req, Res> | undefined, err: unknown): void {
    const state = this.current;
    if (stream === undefined ? state.tag !== "connecting" : state.tag !== "open" || state.stream !== stream)
      return;
    const error = etcdError(this.spec.name)(err);
    if (state.tag === "open") this.spec.suspect(state.host, error);
    this.drop();
    if (!this.reported) {
      this.reported = true;
      this.spec.fault(error);
    }
    const before = this.spec.beforeReconnect?.(error) ?? Promise.resolve();
    const delay = backoffDelay(this.spec.backoff)(++this.attempt);
    const timer = setTimeout(() => {
      if (this.current.tag !== "backing-off" || this.current.timer !== timer) return;
      this.current = { tag: "idle" };
      void before
        .catch(() => undefined)
        .then(() => {
          if (this.current.tag === "idle" && this.spec.wanted()) this.connect();
        });
    }, delay);
    // Not unref'd: an open watch or a held lease keeps the process alive while etcd is away, as
    // its stream does while etcd is up. A process that only watches must not exit because etcd died.
    this.current = { tag: "backing-off", timer };
  }

  private startTicker(stream: DuplexStream<Req, Res>): void {
    let confirming = false;
    this.ticker = setInterval(() => {
      const state = this.current;
      if (state.tag !== "open" || state.stream !== stream || confirming) return;
      const silentMs = this.spec.silentMs();
      if (state.awaitingSince !== undefined && Date.now() - state.awaitingSince > silentMs) {
        const hung = (why = "etcd member hung or unreachable"): void =>
          this.broken(
            stream,
            backendError(
              this.spec.name,
              new Error(`${this.spec.name} silent for over ${silentMs} ms: ${why}`),
              {
                recoverable: true,
              },
            ),
          );
        if (this.spec.confirm === undefined) return hung();
        confirming = true;
        void this.spec.confirm(state.host).then(
          (alive) => {
            confirming = false;
            if (typeof alive === "string") hung(alive);
            else if (!alive) hung();
            else if (this.current === state) state.awaitingSince = undefined;
          },
          () => {
            confirming = false;
            hung();
          },
        );
        return;
      }
      this.spec.tick?.();
    }, this.spec.tickMs);
  }

  /** Drops the stream or the pending reconnect, without letting it count as a member's failure. */
  private drop(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    const state = this.current;
    if (state.tag === "backing-off") clearTimeout(state.timer);
    if (state.tag === "open") quietlyClose(state.stream);
    if (state.tag !== "closed") this.current = { tag: "idle" };
  }
}
