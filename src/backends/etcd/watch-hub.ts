import type { Etcd3, IWatchRequest, IWatchResponse } from "etcd3";
import { openStream, quietlyClose, quietlyWrite, Suspects, type DuplexStream } from "./streams.js";
import { backendError, type NamingError } from "../../model/index.js";
import { compareRevision, type KeyChange, type Revision } from "../../port/index.js";
import { etcdError } from "./etcd-errors.js";

/** What a watch of the hub is told. */
export interface WatchHandlers {
  /** The changes of one watch response, with the highest mod revision among them. */
  readonly batch: (revision: Revision, changes: readonly KeyChange[]) => void;
  /** A fault the hub rides out (the stream broke and is being re-made). */
  readonly fault: (error: NamingError) => void;
  /** etcd cancelled the watch because its start revision was compacted: re-read the set. */
  readonly compacted: () => void;
  /** etcd refused the watch (permission denied, invalid token): the watch is over. */
  readonly failed: (error: NamingError) => void;
}

export interface WatchHubOptions {
  /** Reconnect backoff after a broken stream: initial and cap, ms. */
  readonly reconnectMs?: { readonly initial: number; readonly max: number };
  /** How often to ask etcd for progress, to tell a hung server from a quiet one. Default 2,000 ms. */
  readonly probeMs?: number;
  /** How long a stream may stay silent (no event, no progress) before it is deemed hung. Default 6,000 ms. */
  readonly hungMs?: number;
  /** Called after a watch was refused for an invalid auth token, before the stream is re-made. */
  readonly refreshAuth?: () => Promise<void>;
  /** Members seen hung or unreachable, shared with the backend's other streams. */
  readonly suspects?: Suspects;
}

type Stream = DuplexStream<IWatchRequest, IWatchResponse>;

interface Entry {
  readonly id: number;
  readonly prefix: string;
  /** The last revision delivered: the watch (re)starts after it. */
  after: Revision;
  readonly handlers: WatchHandlers;
}

const rangeEnd = (prefix: Buffer): Buffer => {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
};

const next = (revision: Revision): string => (BigInt(revision) + 1n).toString();

/**
 * One etcd watch stream shared by every watch of a backend, written here rather than taken from
 * the `etcd3` client's Watcher because of that client's traps (ETCD3-NOTES):
 *
 * - it tracks the last mod revision it delivered per watch and re-creates every watch from the
 *   revision after it on each reconnect, so a break in the middle of a large catch-up (sent in
 *   batches whose header revision is the current one) loses nothing (trap 1);
 * - it sees the `compact_revision` of a cancelled watch and says "compacted", so the caller
 *   re-reads the set (trap 2);
 * - a refused create ends that watch only; the watches are numbered by us (etcd 3.4's watch_id),
 *   so nothing waits in a queue behind a refusal (trap 3); a refusal for an expired token gets
 *   the token refreshed and the stream re-made (trap 8);
 * - when the last watch goes, the stream is ended by half-closing it first, which the client's
 *   circuit breaker does not count as a host failure (trap 4);
 * - it probes the stream with progress requests and re-makes a stream that stays silent, so a
 *   hung (SIGSTOPped) member is noticed without relying on gRPC keep-alive settings;
 * - it reconnects quickly (100 ms, capped at 1 s) instead of the client's slow default (trap 7).
 */
export class WatchHub {
  private stream: Stream | undefined;
  /** The member the stream runs to. */
  private host: string | undefined;
  private readonly suspects: Suspects;
  private connecting = false;
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  /** Creates sent and not yet answered, oldest first: etcd answers them in order. */
  private pendingCreates: number[] = [];
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly options: WatchHubOptions = {},
  ) {
    this.suspects = options.suspects ?? new Suspects();
  }

  /** How many watches are open on the hub. */
  get size(): number {
    return this.entries.size;
  }

  /** Watches every key under `prefix` after revision `after`. Returns the cancel function. */
  open(prefix: string, after: Revision, handlers: WatchHandlers): () => void {
    const entry: Entry = { id: this.nextId++, prefix, after, handlers };
    this.entries.set(entry.id, entry);
    if (this.stream !== undefined) this.create(this.stream, entry);
    else this.connect();
    return () => this.cancel(entry);
  }

  /** Ends the stream and every watch, for good. */
  close(): void {
    this.closed = true;
    this.entries.clear();
    this.teardown();
  }

  private connect(): void {
    if (this.connecting || this.stream !== undefined || this.closed || this.entries.size === 0) return;
    this.connecting = true;
    // "hasleader": etcd ends the stream when its member loses the raft leader, as Go's
    // clientv3.WithRequireLeader asks. Without it, a member cut off from quorum keeps the stream
    // open and answers progress requests itself: the watch would go silent with nothing said.
    openStream<Stream>(
      this.client,
      {
        service: "Watch",
        method: "watch",
        metadata: { hasleader: "true" },
        fallback: () => this.client.watchClient.watch(),
      },
      this.suspects,
    ).then(
      ({ stream, host }) => {
        this.connecting = false;
        if (this.closed || this.entries.size === 0) {
          quietlyClose(stream);
          return;
        }
        this.stream = stream;
        this.host = host;
        this.lastHeard = Date.now();
        stream
          .on("data", (res: IWatchResponse) => this.onResponse(stream, res))
          .on("error", (err: Error) => this.onBroken(stream, err))
          .on("end", () => this.onBroken(stream, new Error("watch stream ended")));
        for (const entry of this.entries.values()) this.create(stream, entry);
        this.startProbe(stream);
      },
      (err: unknown) => {
        this.connecting = false;
        this.onBroken(undefined, err);
      },
    );
  }

  private create(stream: Stream, entry: Entry): void {
    const key = Buffer.from(entry.prefix);
    this.pendingCreates.push(entry.id);
    quietlyWrite(stream, {
      create_request: {
        key,
        range_end: rangeEnd(key),
        start_revision: next(entry.after),
        watch_id: entry.id,
      },
    });
  }

  private cancel(entry: Entry): void {
    if (!this.entries.delete(entry.id)) return;
    const stream = this.stream;
    if (stream === undefined) return;
    if (this.entries.size === 0) {
      // Nothing left to watch: end the stream rather than leave one idle. Half-closing first keeps
      // the client from counting the cancel as a host failure (trap 4).
      this.teardown();
      return;
    }
    quietlyWrite(stream, { cancel_request: { watch_id: entry.id } });
  }

  private onResponse(stream: Stream, res: IWatchResponse): void {
    if (stream !== this.stream) return;
    this.lastHeard = Date.now();
    this.attempt = 0;
    let id = Number(res.watch_id);
    if (res.created) {
      // A refused create (permission denied, expired token) is answered with watch_id -1, not
      // with ours: it belongs to the oldest create still waiting for its answer.
      if (id === -1) id = this.pendingCreates.shift() ?? -1;
      else this.pendingCreates = this.pendingCreates.filter((p) => p !== id);
    }
    const entry = this.entries.get(id);
    if (entry === undefined) return; // a progress answer (watch_id -1), or a watch we cancelled
    if (res.canceled) {
      this.entries.delete(entry.id);
      if (res.compact_revision !== undefined && res.compact_revision !== "0") {
        entry.handlers.compacted();
      } else if (/auth token/i.test(res.cancel_reason)) {
        // The token expired; unary calls re-authenticate, a stream keeps its old one (trap 8).
        entry.handlers.failed(
          backendError("watch", new Error(`watch of ${entry.prefix} refused: ${res.cancel_reason}`)),
        );
        this.refreshAndReconnect(stream);
      } else {
        entry.handlers.failed(
          etcdError("watch")(
            new Error(`watch of ${entry.prefix} refused by etcd: ${res.cancel_reason || "no reason given"}`),
          ),
        );
      }
      return;
    }
    if (res.events.length === 0) return;
    const changes: KeyChange[] = [];
    let revision = entry.after;
    for (const ev of res.events) {
      const rev = ev.kv.mod_revision;
      // A watch re-created from `after + 1` cannot repeat an event, but a stale response can.
      if (compareRevision(rev, entry.after) <= 0) continue;
      if (compareRevision(rev, revision) > 0) revision = rev;
      const key = ev.kv.key.toString();
      changes.push(
        String(ev.type) === "Delete" || String(ev.type) === "1"
          ? { type: "delete", key, revision: rev }
          : { type: "put", key, value: ev.kv.value.toString(), revision: rev },
      );
    }
    if (changes.length === 0) return;
    entry.after = revision;
    entry.handlers.batch(revision, changes);
  }

  private onBroken(stream: Stream | undefined, err: unknown): void {
    if (stream !== undefined && stream !== this.stream) return;
    this.suspects.mark(this.host);
    this.teardown();
    if (this.closed || this.entries.size === 0) return;
    const error = etcdError("watch stream")(err);
    for (const entry of [...this.entries.values()]) entry.handlers.fault(error);
    // A stream refused for an expired token would be re-made with the same token: refresh it first.
    if (/auth token/i.test(error.message)) this.refreshThenReconnect();
    else this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined || this.closed) return;
    const { initial, max } = this.options.reconnectMs ?? { initial: 100, max: 1_000 };
    const ceiling = Math.min(max, initial * 2 ** Math.min(20, this.attempt++));
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    // Not unref'd: an open watch keeps the process alive while etcd is away, as its stream does
    // while etcd is up. A process that only watches must not exit because etcd died.
  }

  private refreshAndReconnect(stream: Stream): void {
    if (stream !== this.stream) return;
    this.teardown();
    this.refreshThenReconnect();
  }

  private refreshThenReconnect(): void {
    const refresh = this.options.refreshAuth?.() ?? Promise.resolve();
    refresh.catch(() => undefined).finally(() => this.scheduleReconnect());
  }

  private startProbe(stream: Stream): void {
    const probeMs = this.options.probeMs ?? 2_000;
    const hungMs = this.options.hungMs ?? 6_000;
    this.probeTimer = setInterval(() => {
      if (stream !== this.stream) return;
      if (Date.now() - this.lastHeard > hungMs) {
        this.onBroken(
          stream,
          new Error(`watch stream silent for over ${hungMs} ms: etcd member hung or unreachable`),
        );
        return;
      }
      quietlyWrite(stream, { progress_request: {} });
    }, probeMs);
  }

  /** Drops the current stream, if any, without letting the client count it as a failure. */
  private teardown(): void {
    this.pendingCreates = [];
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    if (this.reconnectTimer !== undefined && this.closed) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    }
    const stream = this.stream;
    this.stream = undefined;
    this.host = undefined;
    if (stream !== undefined) quietlyClose(stream);
  }
}
