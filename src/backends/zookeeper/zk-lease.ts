import { AsyncSubject, defer, type Observable } from "rxjs";
import { backendError, type NamingError } from "../../model/index.js";
import { displacedError, type Lease, type Revision, type TakeFrom } from "../../port/index.js";
import { conditionalWrite, type WriteTry } from "../common/conditional-write.js";
import {
  codeOf,
  ownedBy,
  sessionIdOf,
  zkCall,
  zkError,
  zookeeper,
  zxidOf,
  ZK,
  type ZkStat,
} from "./zk-calls.js";
import type { ZkSession } from "./zk-session.js";

/** How many times in one put the node is found changed and the write tried again. */
const MAX_TRIES = 5;

/** How long an existence watch that could not be set waits before it is set again, ms. */
const REWATCH_MS = 1_000;

/**
 * A lease on ZooKeeper is the session: the ephemeral nodes written under it live while the
 * session does, and go with it. `lost$` is the session's loss; a new lease is the next session.
 * The session timeout, not a TTL, says how long a silent client keeps its nodes. `displaced$`
 * says that a node written under it is another session's now (an existence watch on each node).
 */
export class ZkLease implements Lease {
  readonly id: string;
  readonly lost$: Lease["lost$"];
  private readonly displaced = new AsyncSubject<NamingError>();
  readonly displaced$: Observable<NamingError> = this.displaced.asObservable();
  /** Our nodes, with the version we last wrote: a write never clobbers a node someone else took. */
  private readonly owned = new Map<string, number>();
  /** The nodes this lease wrote and still counts as its own, each with its one watcher function. */
  private readonly watched = new Map<string, () => void>();
  /** Every node this lease wrote: one another session took since is never taken back. */
  private readonly written = new Set<string>();

  constructor(
    private readonly session: ZkSession,
    private readonly deadlineMs: number,
    private readonly revision: (zxid: bigint) => Revision,
  ) {
    this.id = session.id;
    this.lost$ = session.lost$;
  }

  /** Writes `key` as an ephemeral node of this session (see `write`); emits the write's zxid. */
  put(key: string, value: string, takeFrom: TakeFrom = "anyone"): Observable<Revision> {
    return defer(async () => {
      const revision = await this.write(key, Buffer.from(value, "utf8"), takeFrom);
      this.written.add(key);
      this.watchOwner(key);
      return revision;
    });
  }

  /**
   * Writes `key` as an ephemeral node of this session: in place when it is ours; created, with
   * its missing parents as persistent nodes, when it is not there; and when a node of another
   * session holds the path (an older registration of the same instance, or an old session of ours
   * that the server has not expired yet), deleted by version and created again, as Curator does,
   * if `takeFrom` allows and this lease never wrote the node before
   * (docs/registration.md#takeover).
   */
  private write(key: string, data: Buffer, takeFrom: TakeFrom): Promise<Revision> {
    let last: unknown;
    const gaveUp = (): NamingError =>
      zkError(
        "put",
        key,
      )(
        last ??
          backendError(
            "put",
            new Error(`session ${this.id} is gone; the node is written on the next session`),
            { key },
          ),
      );
    return conditionalWrite<Revision>({
      key,
      takeFrom,
      wroteBefore: this.written.has(key),
      maxTries: MAX_TRIES,
      tryWrite: async () => {
        if (!this.session.alive) throw gaveUp();
        try {
          return await this.tryWrite(key, data);
        } catch (e) {
          last = e;
          return this.afterFailure(key, e);
        }
      },
      displaced: (holder) => this.markDisplaced(key, holder),
      gaveUp,
    });
  }

  /** One write: `setData` by version when the node is ours, `create` otherwise. */
  private async tryWrite(key: string, data: Buffer): Promise<WriteTry<Revision>> {
    const { client } = this.session;
    const version = this.owned.get(key);
    if (version !== undefined) {
      const stat = await this.call<ZkStat>("setData", (done) => client.setData(key, data, version, done));
      this.owned.set(key, stat.version);
      return { written: this.revision(zxidOf(stat.mzxid)) };
    }
    await this.call<string>("create", (done) =>
      client.create(key, data, zookeeper.CreateMode.EPHEMERAL, done),
    );
    const stat = await this.call<ZkStat | null>("exists", (done) => client.exists(key, done));
    if (stat && ownedBy(stat, this.session.rawId)) {
      this.owned.set(key, stat.version);
      return { written: this.revision(zxidOf(stat.mzxid)) };
    }
    // Deleted (or taken) between the create and the read: write again.
    return { changed: true };
  }

  /** What a failed write found: the next try's condition, or who holds the node and how to take it. */
  private async afterFailure(key: string, e: unknown): Promise<WriteTry<Revision>> {
    const { client } = this.session;
    const code = codeOf(e);
    if (code === ZK.noNode) {
      // Our node vanished (setData), or its parents are missing (create).
      if (this.owned.delete(key)) return { changed: true };
      await this.call<string>("mkdirp", (done) => client.mkdirp(parentOf(key), done)).catch((m: unknown) => {
        if (codeOf(m) !== ZK.nodeExists) throw zkError("put", key)(m);
      });
      return { changed: true };
    }
    if (code === ZK.badVersion) {
      // Someone else wrote our node: look again at who holds it.
      this.owned.delete(key);
      return { changed: true };
    }
    if (code !== ZK.nodeExists) throw zkError("put", key)(e);
    return this.holderOf(key).catch((c: unknown) => {
      throw zkError("put", key)(c);
    });
  }

  /**
   * A node is at `key` already: ours, to write in place, or another session's, to delete (by
   * version) if the write may take it.
   */
  private async holderOf(key: string): Promise<WriteTry<Revision>> {
    const { client } = this.session;
    const stat = await this.call<ZkStat | null>("exists", (done) => client.exists(key, done));
    if (!stat) return { changed: true };
    if (ownedBy(stat, this.session.rawId)) {
      this.owned.set(key, stat.version);
      return { changed: true };
    }
    const take = (): Promise<void> =>
      this.call<void>("remove", (done) => client.remove(key, stat.version, (e) => done(e, undefined))).catch(
        (e: unknown) => {
          // Gone meanwhile, or changed: either way, try the write again.
          if (codeOf(e) !== ZK.noNode && codeOf(e) !== ZK.badVersion) throw zkError("put", key)(e);
        },
      );
    return { changed: true, holder: sessionIdOf(stat.ephemeralOwner), take };
  }

  private call<A>(operation: string, run: (done: (error: unknown, value: A) => void) => void): Promise<A> {
    return zkCall<A>(operation, this.deadlineMs, run);
  }

  /**
   * Deletes this lease's nodes within the deadline, each only while it is still this session's (a
   * node another session took stays). Never errors: a session that cannot be reached takes its
   * nodes with it when the server expires it. The session itself stays, for the other leases and
   * the watches on it.
   */
  revoke(): Observable<void> {
    return defer(async () => {
      const nodes = [...this.owned.keys()];
      this.owned.clear();
      this.watched.clear();
      if (!this.displaced.isStopped) this.displaced.complete();
      // While disconnected the client sends the removals when it reconnects within the session.
      if (!this.session.alive) return;
      const { client, rawId } = this.session;
      const call = <A>(operation: string, run: (done: (error: unknown, value: A) => void) => void) =>
        zkCall<A>(operation, this.deadlineMs, run);
      await Promise.allSettled(
        nodes.map(async (key) => {
          const stat = await call<ZkStat | null>("exists", (done) => client.exists(key, done));
          if (!stat || !ownedBy(stat, rawId)) return;
          await call<void>("remove", (done) => client.remove(key, stat.version, (e) => done(e, undefined)));
        }),
      );
    });
  }

  /**
   * Watches who holds `key` from now on: one existence watch, set again each time it fires (with
   * the same function, so watchers never pile up), until the node is another session's.
   */
  private watchOwner(key: string): void {
    if (this.watched.has(key) || this.displaced.isStopped) return;
    const watcher = (): void => void this.checkOwner(key, watcher);
    this.watched.set(key, watcher);
    void this.checkOwner(key, watcher);
  }

  private async checkOwner(key: string, watcher: () => void): Promise<void> {
    if (this.watched.get(key) !== watcher || !this.session.alive) return;
    const { client, rawId } = this.session;
    try {
      const stat = await zkCall<ZkStat | null>("exists", this.deadlineMs, (done) =>
        client.exists(key, watcher, done),
      );
      if (stat && !ownedBy(stat, rawId) && this.watched.get(key) === watcher) {
        this.markDisplaced(key, sessionIdOf(stat.ephemeralOwner));
      }
    } catch {
      // Not set (a deadline, a connection lost within the session): set it again soon; a lost
      // session is the lease's loss, and ends this with it.
      setTimeout(() => void this.checkOwner(key, watcher), REWATCH_MS).unref();
    }
  }

  /** `key` is another session's now: not ours to write or delete any more. */
  private markDisplaced(key: string, holder: string): void {
    this.owned.delete(key);
    this.watched.delete(key);
    if (this.displaced.isStopped) return;
    this.displaced.next(displacedError(key, holder));
    this.displaced.complete();
  }
}

const parentOf = (key: string): string => key.slice(0, key.lastIndexOf("/")) || "/";
