import { defer, type Observable } from "rxjs";
import { backendError } from "../../model/index.js";
import type { Lease, Revision } from "../../port/index.js";
import { codeOf, ownedBy, zkCall, zkError, zookeeper, zxidOf, ZK, type ZkStat } from "./zk-calls.js";
import type { ZkSession } from "./zk-session.js";

/**
 * A lease on ZooKeeper is the session: the ephemeral nodes written under it live while the
 * session does, and go with it. `lost$` is the session's loss; a new lease is the next session.
 * The session timeout, not a TTL, says how long a silent client keeps its nodes.
 */
export class ZkLease implements Lease {
  readonly id: string;
  readonly lost$: Lease["lost$"];
  /** Our nodes, with the version we last wrote: a write never clobbers a node someone else took. */
  private readonly owned = new Map<string, number>();

  constructor(
    private readonly session: ZkSession,
    private readonly deadlineMs: number,
    private readonly revision: (zxid: bigint) => Revision,
  ) {
    this.id = session.id;
    this.lost$ = session.lost$;
  }

  /** Writes `key` as an ephemeral node of this session (see `write`); emits the write's zxid. */
  put(key: string, value: string): Observable<Revision> {
    return defer(() => this.write(key, Buffer.from(value, "utf8")));
  }

  /**
   * Writes `key` as an ephemeral node of this session: in place when it is ours; created, with
   * its missing parents as persistent nodes, when it is not there; and when a node of another
   * session holds the path (an old session of ours that the server has not expired yet: trap 6),
   * deleted by version and created again, as Curator does (Kratos v1 skips the write here).
   */
  private async write(key: string, data: Buffer): Promise<Revision> {
    const { client } = this.session;
    const call = <A>(operation: string, run: (done: (error: unknown, value: A) => void) => void) =>
      zkCall<A>(operation, this.deadlineMs, run);
    let last: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!this.session.alive) break;
      try {
        const version = this.owned.get(key);
        if (version !== undefined) {
          const stat = await call<ZkStat>("setData", (done) => client.setData(key, data, version, done));
          this.owned.set(key, stat.version);
          return this.revision(zxidOf(stat.mzxid));
        }
        await call<string>("create", (done) =>
          client.create(key, data, zookeeper.CreateMode.EPHEMERAL, done),
        );
        const stat = await call<ZkStat | null>("exists", (done) => client.exists(key, done));
        if (stat && ownedBy(stat, this.session.rawId)) {
          this.owned.set(key, stat.version);
          return this.revision(zxidOf(stat.mzxid));
        }
        // Deleted (or taken) between the create and the read: write again.
      } catch (e) {
        last = e;
        const code = codeOf(e);
        if (code === ZK.noNode) {
          // Our node vanished (setData), or its parents are missing (create).
          if (this.owned.delete(key)) continue;
          await call<string>("mkdirp", (done) => client.mkdirp(parentOf(key), done)).catch((m: unknown) => {
            if (codeOf(m) !== ZK.nodeExists) throw zkError("put", key)(m);
          });
          continue;
        }
        if (code === ZK.badVersion) {
          // Someone else wrote our node: look again at who holds it.
          this.owned.delete(key);
          continue;
        }
        if (code !== ZK.nodeExists) throw zkError("put", key)(e);
        await this.claim(key).catch((c: unknown) => {
          throw zkError("put", key)(c);
        });
      }
    }
    throw zkError(
      "put",
      key,
    )(
      last ??
        backendError(
          "put",
          new Error(`session ${this.id} is gone; the node is written on the next session`),
          {
            key,
          },
        ),
    );
  }

  /** A node is at `key` already: ours, to write in place, or another session's, to delete. */
  private async claim(key: string): Promise<void> {
    const { client } = this.session;
    const stat = await zkCall<ZkStat | null>("exists", this.deadlineMs, (done) => client.exists(key, done));
    if (!stat) return;
    if (ownedBy(stat, this.session.rawId)) {
      this.owned.set(key, stat.version);
      return;
    }
    await zkCall<void>("remove", this.deadlineMs, (done) =>
      client.remove(key, stat.version, (e) => done(e, undefined)),
    ).catch((e: unknown) => {
      // Gone meanwhile, or changed: either way, try the write again.
      if (codeOf(e) !== ZK.noNode && codeOf(e) !== ZK.badVersion) throw e;
    });
  }

  /**
   * Deletes this lease's nodes (by version, so a node someone else took stays) within the
   * deadline. Never errors: a session that cannot be reached takes its nodes with it when the
   * server expires it. The session itself stays, for the other leases and the watches on it.
   */
  revoke(): Observable<void> {
    return defer(async () => {
      const nodes = [...this.owned];
      this.owned.clear();
      // While disconnected the client sends the removals when it reconnects within the session.
      if (!this.session.alive) return;
      const { client } = this.session;
      await Promise.allSettled(
        nodes.map(([key, version]) =>
          zkCall<void>("remove", this.deadlineMs, (done) =>
            client.remove(key, version, (e) => done(e, undefined)),
          ),
        ),
      );
    });
  }
}

const parentOf = (key: string): string => key.slice(0, key.lastIndexOf("/")) || "/";
