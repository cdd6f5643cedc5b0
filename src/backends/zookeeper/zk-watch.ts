import { filter, firstValueFrom, Observable, switchMap } from "rxjs";
import type { NamingError } from "../../model/index.js";
import { backoffDelay } from "../../shared/backoff.js";
import type { KeyChange, KeyValue, WatchMessage } from "../../port/index.js";
import { codeOf, zkCall, zkError, zookeeper, zxidOf, ZK, type ZkStat } from "./zk-calls.js";
import type { ZkEvent, ZkSession } from "./zk-session.js";
import type { ZkSessions } from "./zk-sessions.js";

/** The wait before an app is read again after a failed read. */
const rereadDelay = backoffDelay({ initialMs: 200, maxMs: 2_000 });

/** What the watch knows of one child of the app's node. */
interface Child {
  readonly value: string;
  readonly zxid: bigint;
  /** Names of the child's own children: a node with children is a folder, not an instance. */
  readonly nested: readonly string[];
}

/** What {@link zkWatch} reads with: the sessions, and the deadline of each call. */
export interface ZkWatchOptions {
  readonly sessions: ZkSessions;
  readonly requestTimeoutMs: number;
}

/**
 * Watches the children of an app's node (`prefix` without its trailing "/") by read-and-rewatch:
 * ZooKeeper's watches fire once, and `getChildren`/`getData` read and re-arm in one request, so
 * nothing is missed. Events that arrive during a read only mark what to read again, so a burst
 * collapses into one re-read and one message. Only what changed is read again: the children list
 * when it changed, the data of a child when it changed; and only what changed is sent, as one
 * batch, so a change costs the consumer the change, not the whole set.
 *
 * Every new session starts over with a full read (its watches died with the old session), and
 * sends a snapshot: the core diffs it against the set it has, so the consumers see only the
 * difference. A missing app node is an empty app, watched with `exists` until it appears.
 *
 * Revisions are zxids (ZooKeeper's global transaction ids, in decimal): the highest one read.
 * Within a session each message's revision is above the last one's, as the core needs to apply a
 * batch; a new session's snapshot is applied whatever its revision (a server rebuilt from nothing
 * starts its zxids again).
 */
export const zkWatch = (options: ZkWatchOptions, prefix: string): Observable<WatchMessage> => {
  const path = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return options.sessions.sessions$.pipe(switchMap((session) => readAndRewatch(options, session, path)));
};

const readAndRewatch = (
  options: ZkWatchOptions,
  session: ZkSession,
  path: string,
): Observable<WatchMessage> =>
  new Observable<WatchMessage>((subscriber) => {
    const { client } = session;
    const deadline = options.requestTimeoutMs;
    const children = new Map<string, Child>();
    let childrenDirty = true;
    const dataDirty = new Set<string>();
    // Children whose ACL denies this client a read: reported once, skipped while they stay.
    const unreadable = new Set<string>();
    let parentZxid = 0n;
    let running = false;
    let stopped = false;
    /** What changed since the last message; undefined until the first snapshot is sent. */
    let pending: KeyChange[] | undefined;
    let pendingZxid = 0n;
    let last = 0n;
    const change = (
      c: { type: "put"; key: string; value: string } | { type: "delete"; key: string },
    ): void => {
      pending?.push({ ...c, revision: "" });
    };
    const entriesOf = (name: string, child: Child): KeyValue[] =>
      // A folder under the app is not an instance: its children are keys that do not fit the
      // layout, for the core to report (as etcd reports `/<prefix>/<app>/a/b`).
      child.nested.length > 0
        ? child.nested.map((n) => ({ key: `${path}/${name}/${n}`, value: "" }))
        : [{ key: `${path}/${name}`, value: child.value }];
    const forget = (name: string): void => {
      const old = children.get(name);
      if (old === undefined) return;
      children.delete(name);
      if (old.nested.length === 0) change({ type: "delete", key: `${path}/${name}` });
    };

    const onEvent = (event: ZkEvent): void => {
      if (event.path === path) childrenDirty = true;
      else if (event.path.startsWith(`${path}/`)) dataDirty.add(event.path.slice(path.length + 1));
      kick();
    };
    // The session's one watcher for this path (a fresh one per read would pile up listeners),
    // pointed at this subscriber.
    const watcher = session.watcher(path, onEvent);

    const readChildren = async (): Promise<void> => {
      childrenDirty = false;
      try {
        const [names, stat] = await zkCall<[string[], ZkStat]>("getChildren", deadline, (done) =>
          client.getChildren(path, watcher, (e, list, s) => done(e, [list, s])),
        );
        parentZxid = zxidOf(stat.pzxid);
        if (parentZxid > pendingZxid) pendingZxid = parentZxid;
        const now = new Set(names);
        for (const name of [...children.keys()]) if (!now.has(name)) forget(name);
        for (const name of unreadable) if (!now.has(name)) unreadable.delete(name);
        for (const name of names) if (!children.has(name) && !unreadable.has(name)) dataDirty.add(name);
      } catch (e) {
        if (codeOf(e) !== ZK.noNode) throw e;
        // No app node yet: an empty app, until `exists` says it was created.
        for (const name of [...children.keys()]) forget(name);
        dataDirty.clear();
        const stat = await zkCall<ZkStat | null>("exists", deadline, (done) =>
          client.exists(path, watcher, done),
        );
        if (stat) childrenDirty = true; // created meanwhile: read it now
      }
    };

    const readChild = async (name: string): Promise<void> => {
      const at = `${path}/${name}`;
      try {
        const [data, stat] = await zkCall<[Buffer | null, ZkStat]>("getData", deadline, (done) =>
          client.getData(at, watcher, (e, d, s) => done(e, [d, s])),
        );
        const value = data?.toString("utf8") ?? "";
        // A node without data may be a folder being filled (`mkdirp` makes it first): watch its
        // children too, so that what comes under it is read.
        const nested =
          stat.numChildren > 0 || value === ""
            ? await zkCall<string[]>("getChildren", deadline, (done) => client.getChildren(at, watcher, done))
            : [];
        const zxid = zxidOf(stat.mzxid);
        if (zxid > pendingZxid) pendingZxid = zxid;
        const old = children.get(name);
        const child: Child = { value, zxid, nested };
        children.set(name, child);
        if (old !== undefined && old.value === value && old.nested.join("/") === nested.join("/")) return;
        if (old !== undefined && old.nested.length === 0 && nested.length > 0) {
          change({ type: "delete", key: at });
        }
        for (const entry of entriesOf(name, child)) change({ type: "put", ...entry });
      } catch (e) {
        if (codeOf(e) === zookeeper.Exception.NO_AUTH) {
          // One child another team locked away must not hide its siblings: report it, skip it.
          forget(name);
          unreadable.add(name);
          subscriber.next({ type: "fault", error: zkError("read", at)(e) });
          return;
        }
        if (codeOf(e) !== ZK.noNode) {
          dataDirty.add(name); // read it again after the fault
          throw e;
        }
        forget(name);
      }
    };

    /** The first message of the session: everything; then what changed, if anything. */
    const message = (): WatchMessage | undefined => {
      if (pending !== undefined && pending.length === 0) return undefined;
      // Above the last message's revision, so that the core applies every change of a batch.
      last = pendingZxid > last ? pendingZxid : last + 1n;
      const revision = last.toString();
      if (pending === undefined) {
        const entries: KeyValue[] = [];
        for (const [name, child] of children) entries.push(...entriesOf(name, child));
        entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        pending = [];
        return { type: "snapshot", revision, entries };
      }
      const changes = pending.map((c) => ({ ...c, revision }));
      pending = [];
      return { type: "batch", revision, changes };
    };

    const pass = async (): Promise<void> => {
      let failures = 0;
      while (!stopped && (childrenDirty || dataDirty.size > 0)) {
        try {
          if (childrenDirty) await readChildren();
          if (stopped) return;
          const names = [...dataDirty];
          dataDirty.clear();
          const results = await Promise.allSettled(names.map(readChild));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
          if (failed) throw failed.reason;
          failures = 0;
          // Events that came meanwhile are read first: one snapshot for the whole burst.
          if (!stopped && !childrenDirty && dataDirty.size === 0) {
            const next = message();
            if (next !== undefined) subscriber.next(next);
          }
        } catch (e) {
          if (stopped) return;
          const error: NamingError = zkError("watch", path)(e);
          if (!error.recoverable) return subscriber.error(error);
          subscriber.next({ type: "fault", error });
          childrenDirty = true;
          failures++;
          // Wait for the connection (a lost session ends this watch from outside), then a backoff.
          try {
            await firstValueFrom(session.connected$.pipe(filter(Boolean)));
          } catch {
            return; // the session is gone: the next one starts a new read
          }
          await new Promise((resolve) => setTimeout(resolve, rereadDelay(failures)));
        }
      }
    };

    function kick(): void {
      if (running || stopped) return;
      running = true;
      void pass().finally(() => {
        running = false;
        // An event that came after the loop's last check.
        if (!stopped && (childrenDirty || dataDirty.size > 0)) kick();
      });
    }

    kick();
    return () => {
      stopped = true;
      session.unwatch(path, onEvent);
    };
  });
