import type { KeyChange, Revision } from "../../port/index.js";
import { compareRevision } from "../../port/index.js";
import type { WatchHandlers, WatchHub } from "./watch-hub.js";

/** One reader of a prefix: what it was told last, and where to tell it more. */
interface Reader {
  /** The last revision given to this reader: it is given only what comes after. */
  after: Revision;
  readonly handlers: WatchHandlers;
}

/** The one hub watch of a prefix and its readers. */
interface Feed {
  readonly prefix: string;
  readonly readers: Set<Reader>;
  /** Where the hub watch started: a reader that needs older changes re-opens it from there. */
  from: Revision;
  cancel: () => void;
}

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
      const created: Feed = { prefix, readers: new Set([reader]), from: after, cancel: () => undefined };
      this.feeds.set(prefix, created);
      this.start(created);
      feed = created;
    } else {
      feed.readers.add(reader);
      // The hub watch began later than this reader needs: begin it again from the reader's start.
      if (compareRevision(after, feed.from) < 0) {
        feed.cancel();
        feed.from = after;
        this.start(feed);
      }
    }
    const f = feed;
    return () => {
      if (!f.readers.delete(reader) || f.readers.size > 0) return;
      if (this.feeds.get(prefix) === f) this.feeds.delete(prefix);
      f.cancel();
    };
  }

  private start(feed: Feed): void {
    feed.cancel = this.hub.open(feed.prefix, feed.from, {
      batch: (revision, changes) => {
        for (const reader of [...feed.readers]) this.give(reader, revision, changes);
      },
      // A key that names no instance: each reader decides whether it is worth a report.
      skipped: (error) => {
        for (const reader of [...feed.readers]) reader.handlers.skipped(error);
      },
      // The hub watch is over: so is every reader's, each told why (and each opens again).
      compacted: () => this.end(feed, (h) => h.compacted()),
      failed: (error) => this.end(feed, (h) => h.failed(error)),
    });
  }

  private give(reader: Reader, revision: Revision, changes: readonly KeyChange[]): void {
    if (compareRevision(revision, reader.after) <= 0) return;
    const fresh = changes.filter((c) => compareRevision(c.revision, reader.after) > 0);
    reader.after = revision;
    if (fresh.length > 0) reader.handlers.batch(revision, fresh);
  }

  private end(feed: Feed, tell: (handlers: WatchHandlers) => void): void {
    if (this.feeds.get(feed.prefix) === feed) this.feeds.delete(feed.prefix);
    const readers = [...feed.readers];
    feed.readers.clear();
    for (const reader of readers) tell(reader.handlers);
  }
}
