import type { NamingError } from "../../model/index.js";
import type { KeyChange, Revision } from "../../port/index.js";
import { compareRevision } from "../../port/index.js";
import type { WatchHandlers, WatchHub } from "./watch-hub.js";

/** One reader of a prefix: what it was told last, and where to tell it more. */
interface Reader {
  /** The last revision given to this reader: it is given only what comes after. */
  after: Revision;
  readonly handlers: WatchHandlers;
}

/**
 * The one hub watch of a prefix and its readers. It is the hub watch's handlers itself: a gateway
 * holds one feed per app, and one object costs less than a handlers object and its closures.
 */
class Feed implements WatchHandlers {
  /** Most prefixes have one or two readers: an array, not a Set. */
  readers: Reader[];
  /** Where the hub watch started: a reader that needs older changes re-opens it from there. */
  from: Revision;
  cancel: () => void = () => undefined;

  constructor(
    private readonly feeds: Map<string, Feed>,
    readonly prefix: string,
    first: Reader,
  ) {
    this.readers = [first];
    this.from = first.after;
  }

  batch(revision: Revision, changes: readonly KeyChange[]): void {
    for (const reader of this.readers.slice()) give(reader, revision, changes);
  }

  /** A key that names no instance: each reader decides whether it is worth a report. */
  skipped(error: NamingError): void {
    for (const reader of this.readers.slice()) reader.handlers.skipped(error);
  }

  /** The hub watch is over: so is every reader's, each told why (and each opens again). */
  compacted(): void {
    for (const handlers of this.end()) handlers.compacted();
  }

  failed(error: NamingError): void {
    for (const handlers of this.end()) handlers.failed(error);
  }

  private end(): WatchHandlers[] {
    if (this.feeds.get(this.prefix) === this) this.feeds.delete(this.prefix);
    const readers = this.readers;
    this.readers = [];
    return readers.map((reader) => reader.handlers);
  }
}

const give = (reader: Reader, revision: Revision, changes: readonly KeyChange[]): void => {
  if (compareRevision(revision, reader.after) <= 0) return;
  const fresh = changes.filter((c) => compareRevision(c.revision, reader.after) > 0);
  reader.after = revision;
  if (fresh.length > 0) reader.handlers.batch(revision, fresh);
};

/**
 * Every watch of one key prefix in a backend shares one etcd watcher: the app's discovery watch
 * and the watch that tells registrations of that app when a newer one took their key. Each reader
 * starts after its own revision; the hub watch starts after the oldest of them (re-opened further
 * back when a reader needs it), and each reader gets only the changes after the last it got.
 * Same interface as {@link WatchHub.open}.
 */
export class PrefixFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly hub: WatchHub) {}

  /** Watches every key under `prefix` after revision `after`. Returns the cancel function. */
  open(prefix: string, after: Revision, handlers: WatchHandlers): () => void {
    const reader: Reader = { after, handlers };
    let feed = this.feeds.get(prefix);
    if (feed === undefined) {
      feed = new Feed(this.feeds, prefix, reader);
      this.feeds.set(prefix, feed);
      this.start(feed);
    } else {
      feed.readers.push(reader);
      // The hub watch began later than this reader needs: begin it again from the reader's start.
      if (compareRevision(after, feed.from) < 0) {
        feed.cancel();
        feed.from = after;
        this.start(feed);
      }
    }
    const f = feed;
    return () => {
      const i = f.readers.indexOf(reader);
      if (i < 0) return;
      f.readers.splice(i, 1);
      if (f.readers.length > 0) return;
      if (this.feeds.get(prefix) === f) this.feeds.delete(prefix);
      f.cancel();
    };
  }

  private start(feed: Feed): void {
    feed.cancel = this.hub.open(feed.prefix, feed.from, feed);
  }
}
