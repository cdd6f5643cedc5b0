import { isUtf8 } from "node:buffer";
import type { IWatchRequest, IWatchResponse } from "etcd3";
import { backendError, type NamingError } from "../../model/index.js";
import { compareRevision, type KeyChange, type Revision } from "../../port/index.js";
import type { BackoffOptions } from "../../shared/backoff.js";
import { etcdError } from "./etcd-errors.js";
import type { Members } from "./members.js";
import { prefixEnd } from "./prefix-end.js";
import { notUtf8 } from "./range-page.js";
import { StreamEngine } from "./stream-engine.js";
import type { Probe } from "../../metrics/probe.js";

/** What a watch of the hub is told. */
export interface WatchHandlers {
  /** The changes of one watch response, with the highest mod revision among them. */
  readonly batch: (revision: Revision, changes: readonly KeyChange[]) => void;
  /** A change that names no instance (a key that is not UTF-8): for `errors$`, the watch goes on. */
  readonly skipped: (error: NamingError) => void;
  /** etcd cancelled the watch because its start revision was compacted: re-read the set. */
  readonly compacted: () => void;
  /** etcd refused the watch (permission denied, invalid token): the watch is over. */
  readonly failed: (error: NamingError) => void;
}

/** Tuning of the shared watch stream. */
export interface WatchHubOptions {
  /** Reconnect backoff after a broken stream: initial and cap, ms. Default 100 and 1,000. */
  readonly reconnectMs?: {
    /** The first delay, ms. */
    readonly initial: number;
    /** The cap, ms. */
    readonly max: number;
  };
  /** How often to ask etcd for progress, to tell a hung server from a quiet one. Default 2,000 ms. */
  readonly probeMs?: number;
  /** How long a probe may go unanswered before the stream is deemed hung. Default 6,000 ms. */
  readonly hungMs?: number;
}

/** What the backend gives the hub besides its options. */
export interface WatchHubContext {
  readonly members: Members;
  /** Faults of the stream as a whole, once each: for `errors$`. */
  readonly fault: (error: NamingError) => void;
  /** Called after a watch was refused for an invalid auth token, before the stream is re-made. */
  readonly refreshAuth?: () => Promise<void>;
  /** Told when the stream is open again after a break: for metrics. */
  readonly probe?: Probe;
}

interface Entry {
  readonly prefix: string;
  /** The last revision delivered: the watch (re)starts after it. */
  after: Revision;
  readonly handlers: WatchHandlers;
  /** The id the server gave this watch on the current stream, once it answered the create. */
  serverId: string | undefined;
  /** Events of a response etcd split in fragments, until its last fragment arrives. */
  fragments: IWatchResponse["events"] | undefined;
}

const next = (revision: Revision): string => (BigInt(revision) + 1n).toString();

const isDelete = (type: unknown): boolean => String(type) === "Delete" || String(type) === "1";

/** A message larger than the client's receive limit (gRPC's RESOURCE_EXHAUSTED). */
const isTooLarge = (error: NamingError): boolean => {
  const cause = error.cause as { code?: unknown } | undefined;
  return cause?.code === 8 || /RESOURCE_EXHAUSTED|larger than max/i.test(error.message);
};

/**
 * One etcd watch stream shared by every watch of a backend, written here rather than taken from
 * the `etcd3` client's Watcher because of that client's pitfalls, and run by a
 * {@link StreamEngine} (reconnect with backoff, hung-member detection, one fault per outage):
 *
 * - it tracks the last mod revision it delivered per watch and re-creates every watch from the
 *   revision after it on each reconnect, so a break in the middle of a large catch-up (sent in
 *   batches whose header revision is the current one) loses nothing; the explicit start
 *   revision is also what lets etcd's gRPC proxy merge the watches of many processes into one;
 * - it sees the `compact_revision` of a cancelled watch and says "compacted", so the caller
 *   re-reads the set (the client drops such a watch silently);
 * - it sends one create at a time and takes the watch id from the server's answer: etcd's gRPC
 *   proxy ignores a client-chosen watch_id and numbers watches itself (from 0), so the answer is
 *   the only id that works everywhere; a refused create (watch_id -1) answers the create in
 *   flight, ends that watch only, and nothing waits behind it (in the client, every later watch
 *   hangs: docs/etcd.md#a-refused-watch-wedges-the-stream); a refusal for an expired token gets
 *   the token refreshed and the stream re-made;
 * - it probes the stream with progress requests; a stream whose probes go unanswered is re-made,
 *   unless it never answered one (the gRPC proxy ignores them) and its member answers a read;
 * - "hasleader": etcd ends the stream when its member loses the raft leader, as Go's
 *   clientv3.WithRequireLeader asks, so a member cut off from quorum does not keep a silent watch.
 */
export class WatchHub {
  private readonly entries = new Set<Entry>();
  private readonly byServerId = new Map<string, Entry>();
  /** Watches to create on the current stream, in order; `creating` awaits its answer. */
  private queue: Entry[] = [];
  private creating: Entry | undefined;
  /** Whether the current stream ever answered a progress request. */
  private answersProgress = false;
  private readonly engine: StreamEngine<IWatchRequest, IWatchResponse>;

  constructor(context: WatchHubContext, options: WatchHubOptions = {}) {
    const { members } = context;
    const probeMs = options.probeMs ?? 2_000;
    const reconnect: BackoffOptions = options.reconnectMs
      ? { initialMs: options.reconnectMs.initial, maxMs: options.reconnectMs.max }
      : {};
    this.engine = new StreamEngine<IWatchRequest, IWatchResponse>({
      name: "watch stream",
      open: () =>
        members.openStream({
          service: "Watch",
          method: "watch",
          metadata: { hasleader: "true" },
          fallback: () => members.client.watchClient.watch(),
        }),
      wanted: () => this.entries.size > 0,
      opened: () => this.opened(),
      data: (res) => this.onResponse(res),
      fault: context.fault,
      suspect: (host, error) => members.streamFailed(host, error),
      reopened: () => context.probe?.watchReconnected(),
      backoff: reconnect,
      tickMs: probeMs,
      silentMs: () => options.hungMs ?? 6_000,
      tick: () => this.engine.send({ progress_request: {} }),
      confirm: (host) => {
        const any = this.entries.values().next().value;
        if (this.answersProgress || any === undefined) return Promise.resolve(false);
        return members.answers(host, any.prefix, probeMs);
      },
      beforeReconnect: async (error) => {
        // A stream refused for an expired token would be re-made with the same token.
        if (/auth token/i.test(error.message)) await context.refreshAuth?.();
        if (isTooLarge(error)) this.resyncAll();
      },
    });
  }

  /** How many watches are open on the hub. */
  get size(): number {
    return this.entries.size;
  }

  /** Where the shared stream is in its life. */
  get state(): string {
    return this.engine.state;
  }

  /** Watches every key under `prefix` after revision `after`. Returns the cancel function. */
  open(prefix: string, after: Revision, handlers: WatchHandlers): () => void {
    const entry: Entry = { prefix, after, handlers, serverId: undefined, fragments: undefined };
    this.entries.add(entry);
    this.queue.push(entry);
    if (this.engine.state === "open") this.createNext();
    else this.engine.want();
    return () => this.cancel(entry);
  }

  /**
   * A response came that the client may not receive: with `fragment`, that is one event (one value)
   * larger than its receive limit, which etcd would send again on every reconnect, failing the
   * stream every app shares. Which watch it belongs to cannot be told, so every watch is ended as
   * if compacted: each app reads its set again (a read that reports such a value as its key's
   * error and skips it) and watches on from there, past the event.
   */
  private resyncAll(): void {
    const entries = [...this.entries];
    this.entries.clear();
    this.reset();
    for (const entry of entries) entry.handlers.compacted();
  }

  /** Ends the stream and every watch, for good. */
  close(): void {
    this.entries.clear();
    this.reset();
    this.engine.close();
  }

  private reset(): void {
    this.byServerId.clear();
    this.queue = [];
    this.creating = undefined;
    for (const entry of this.entries) {
      entry.serverId = undefined;
      entry.fragments = undefined;
    }
  }

  private opened(): void {
    this.reset();
    this.answersProgress = false;
    this.queue = [...this.entries];
    this.createNext();
  }

  private createNext(): void {
    if (this.creating !== undefined) return;
    const entry = this.queue.shift();
    if (entry === undefined) return;
    const key = Buffer.from(entry.prefix);
    this.creating = entry;
    this.engine.send({
      // fragment: etcd splits a response larger than its request limit (1.5 MiB by default) into
      // pieces, so that a few large values, or a catch-up after a reconnect, fit the client's
      // receive limit instead of failing the stream that every app shares, again on every retry.
      create_request: { key, range_end: prefixEnd(key), start_revision: next(entry.after), fragment: true },
    });
  }

  private cancel(entry: Entry): void {
    if (!this.entries.delete(entry)) return;
    this.queue = this.queue.filter((e) => e !== entry);
    if (this.entries.size === 0) {
      // Nothing left to watch: end the stream rather than leave one idle (half-closed first, so
      // that the client's circuit breaker does not count it).
      this.reset();
      this.engine.release();
      return;
    }
    // A watch still being created is cancelled when its answer comes.
    if (entry.serverId !== undefined) this.cancelOnServer(entry.serverId);
  }

  private cancelOnServer(serverId: string): void {
    this.byServerId.delete(serverId);
    this.engine.send({ cancel_request: { watch_id: serverId } }, false);
  }

  private onResponse(res: IWatchResponse): void {
    const id = String(res.watch_id);
    if (res.created) {
      const entry = this.creating;
      this.creating = undefined;
      if (entry !== undefined) this.created(entry, id, res);
      this.createNext();
      return;
    }
    const entry = this.byServerId.get(id);
    if (entry === undefined) {
      // watch_id -1 without `created`: the answer to a progress request.
      if (id === "-1") this.answersProgress = true;
      return;
    }
    if (res.canceled) {
      this.ended(entry, id, res);
      return;
    }
    this.deliver(entry, res);
  }

  private created(entry: Entry, id: string, res: IWatchResponse): void {
    if (res.canceled) {
      this.ended(entry, id, res);
      return;
    }
    if (!this.entries.has(entry)) {
      this.cancelOnServer(id); // cancelled while its create was in flight
      return;
    }
    entry.serverId = id;
    this.byServerId.set(id, entry);
  }

  /** etcd (or the proxy) cancelled the watch: compacted, or refused. */
  private ended(entry: Entry, id: string, res: IWatchResponse): void {
    const wanted = this.entries.delete(entry);
    // The gRPC proxy keeps a compacted watcher of ours registered: cancel it (a no-op on etcd).
    if (id !== "-1") this.cancelOnServer(id);
    if (!wanted) return;
    if (res.compact_revision !== undefined && res.compact_revision !== "0") {
      entry.handlers.compacted();
    } else if (/auth token/i.test(res.cancel_reason)) {
      // The token expired; unary calls re-authenticate, a stream keeps its old one.
      const reason = new Error(`watch of ${entry.prefix} refused: ${res.cancel_reason}`);
      entry.handlers.failed(backendError("watch", reason));
      this.engine.fail(reason);
    } else {
      entry.handlers.failed(
        etcdError("watch")(
          new Error(`watch of ${entry.prefix} refused by etcd: ${res.cancel_reason || "no reason given"}`),
        ),
      );
    }
    if (this.entries.size === 0) this.engine.release();
  }

  private deliver(entry: Entry, res: IWatchResponse): void {
    if (res.fragment) {
      entry.fragments = entry.fragments === undefined ? [...res.events] : entry.fragments.concat(res.events);
      return;
    }
    const events = entry.fragments === undefined ? res.events : entry.fragments.concat(res.events);
    entry.fragments = undefined;
    if (events.length === 0) return;
    const changes: KeyChange[] = [];
    let revision = entry.after;
    for (const ev of events) {
      const rev = ev.kv.mod_revision;
      // A watch re-created from `after + 1` cannot repeat an event, but a stale response can.
      if (compareRevision(rev, entry.after) <= 0) continue;
      if (compareRevision(rev, revision) > 0) revision = rev;
      if (!isUtf8(ev.kv.key)) {
        // Its put was skipped alike: a delete of it removes nothing.
        if (!isDelete(ev.type)) entry.handlers.skipped(notUtf8(ev.kv.key));
        continue;
      }
      const key = ev.kv.key.toString();
      changes.push(
        isDelete(ev.type)
          ? { type: "delete", key, revision: rev }
          : { type: "put", key, value: ev.kv.value.toString(), revision: rev, lease: String(ev.kv.lease) },
      );
    }
    entry.after = revision;
    if (changes.length === 0) return;
    entry.handlers.batch(revision, changes);
  }
}
