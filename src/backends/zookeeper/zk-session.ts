import { BehaviorSubject, distinctUntilChanged } from "rxjs";
import type { NamingError } from "../../model/index.js";
import { LostSignal } from "../common/lost-signal.js";
import { sessionIdOf, type ZkClient } from "./zk-calls.js";

/** A ZooKeeper event delivered to a watcher. */
export interface ZkEvent {
  readonly type: number;
  readonly path: string;
}

/**
 * One live ZooKeeper session: a client that connected, and everything that lives and dies with
 * it (its ephemeral nodes, its watches). A session never comes back once lost: the next one is a
 * new client.
 */
export class ZkSession {
  /** The session id as ZooKeeper prints it (`0x...`): the lease id of every registration on it. */
  readonly id: string;
  /** The raw 8 bytes, to compare with a node's `ephemeralOwner`. */
  readonly rawId: Buffer;
  private readonly lost = new LostSignal();
  /** Emits once when the session is gone (expired, or given up for dead), then completes. */
  readonly lost$ = this.lost.lost$;
  private readonly up = new BehaviorSubject(true);
  /** Whether the client is connected now (it reconnects within the session by itself). */
  readonly connected$ = this.up.pipe(distinctUntilChanged());
  private readonly watchers = new Map<
    string,
    { fn: (event: ZkEvent) => void; target?: (event: ZkEvent) => void }
  >();

  constructor(readonly client: ZkClient) {
    this.rawId = Buffer.from(client.getSessionId());
    this.id = sessionIdOf(this.rawId);
  }

  /** False once the session is lost: nothing written on it survives, and it never comes back. */
  get alive(): boolean {
    return !this.lost.settled;
  }

  /** Whether calls can reach the server now. */
  get connected(): boolean {
    return this.up.value && !this.lost.settled;
  }

  /**
   * The one watcher function of `name` (an app's path) on this session: the client keeps
   * every distinct function it is given, so a fresh function per re-read would pile up listeners.
   * Whoever watches `name` now sets where its events go; the function itself never changes.
   */
  watcher(name: string, target: ((event: ZkEvent) => void) | undefined): (event: ZkEvent) => void {
    let entry = this.watchers.get(name);
    if (entry === undefined) {
      const created: { fn: (event: ZkEvent) => void; target?: (event: ZkEvent) => void } = {
        fn: (event) => created.target?.(event),
      };
      entry = created;
      this.watchers.set(name, entry);
    }
    if (target === undefined) delete entry.target;
    else entry.target = target;
    return entry.fn;
  }

  /** Stops sending `name`'s events to `target`, if it still receives them. */
  unwatch(name: string, target: (event: ZkEvent) => void): void {
    const entry = this.watchers.get(name);
    if (entry?.target === target) delete entry.target;
  }

  /** The client lost or regained its connection within this session. */
  setConnected(connected: boolean): void {
    if (!this.lost.settled) this.up.next(connected);
  }

  /** The session is gone (expired, or given up for dead): tells `lost$` once, with why. */
  markLost(error: NamingError): void {
    if (this.lost.settled) return;
    this.up.next(false);
    this.up.complete();
    this.lost.fire(error);
  }
}
