import { BehaviorSubject, defer, distinctUntilChanged, filter, Subject, take, type Observable } from "rxjs";
import { backendError, type NamingError } from "../../model/index.js";
import { dropConnection, stopClient } from "./zk-client-internals.js";
import { codeOf, zkCall, zookeeper, type ZkClient } from "./zk-calls.js";
import { ZkSession } from "./zk-session.js";

/** How {@link ZkSessions} reaches ZooKeeper and how patient it is. */
export interface ZkSessionsOptions {
  /** The connection string: `host:port,host:port[/chroot]`. */
  readonly servers: string;
  readonly sessionTimeoutMs: number;
  /** The deadline of the liveness probe and of each call. */
  readonly requestTimeoutMs: number;
}

/**
 * Owns the ZooKeeper client and makes a new one whenever a session is lost: the client is dead
 * after expiry. Connects on first use.
 *
 * Liveness, which the client lacks:
 * - every sessionTimeout/3, a probe (`exists("/")`) with a deadline: a silent connection keeps
 *   the client "connected" forever, so a hung probe drops the connection and the client
 *   reconnects, within the same session while the server still has it;
 * - a connection that a server does not answer within the session timeout divided by the number
 *   of servers is dropped, and the client tries the next (a SIGSTOPped server accepts and is silent);
 * - a session not heard from for 1.5 x the session timeout is treated as expired:
 *   the server has expired it by then, but the client would only learn so when it reconnects, and
 *   never if the server lost its data. Its client is abandoned and a new one made.
 */
export class ZkSessions {
  private readonly current = new BehaviorSubject<ZkSession | undefined>(undefined);
  private readonly faults = new Subject<NamingError>();
  /** Faults of the connection (disconnects, hung probes, lost sessions), for `errors$`. */
  readonly faults$ = this.faults.asObservable();
  private client: ZkClient | undefined;
  private session: ZkSession | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** When the current client was last heard from (connected, or answered a probe). */
  private lastHeard = 0;
  /** When the current client lost its connection (or was made), while it has none. */
  private waitingSince: number | undefined;
  private probing = false;
  private closed = false;
  private readonly abandoned = new Set<Promise<void>>();

  /**
   * How long one server may take to answer a connection, as ZooKeeper's own client allows: the
   * session timeout shared among the servers, so that the client can try each of them before its
   * session expires. A whole session timeout on a silent server was a session lost for sure.
   */
  private readonly connectTimeoutMs: number;

  constructor(private readonly options: ZkSessionsOptions) {
    const hosts = options.servers.split("/")[0]!.split(",").length;
    this.connectTimeoutMs = Math.max(100, Math.floor(options.sessionTimeoutMs / hosts));
  }

  /** The current session, then every new one; connects on first use. */
  readonly sessions$: Observable<ZkSession> = defer(() => {
    this.start();
    return this.current.pipe(
      filter((s): s is ZkSession => s !== undefined && s.alive),
      distinctUntilChanged(),
    );
  });

  /** The session live now, or the next one: emits once. */
  readonly session$: Observable<ZkSession> = this.sessions$.pipe(take(1));

  /** The live session now, without connecting or waiting. */
  get now(): ZkSession | undefined {
    return this.session?.alive === true ? this.session : undefined;
  }

  private start(): void {
    if (this.closed || this.client !== undefined) return;
    this.connect();
    const period = Math.max(100, Math.floor(this.options.sessionTimeoutMs / 3));
    this.ticker = setInterval(() => this.tick(), period);
    // The client's socket keeps the process alive while it is open; this timer need not.
    this.ticker.unref();
  }

  private connect(): void {
    const client = zookeeper.createClient(this.options.servers, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.client = client;
    this.session = undefined;
    this.waitingSince = Date.now();
    client.on("state", (state: { code: number }) => {
      if (this.client !== client || this.closed) return; // an abandoned client's last words
      this.onState(client, state.code);
    });
    client.connect();
  }

  private onState(client: ZkClient, code: number): void {
    const { State } = zookeeper;
    if (code === State.SYNC_CONNECTED.code || code === State.CONNECTED_READ_ONLY.code) {
      this.lastHeard = Date.now();
      this.waitingSince = undefined;
      if (this.session === undefined) {
        this.session = new ZkSession(client);
        this.current.next(this.session);
      } else {
        this.session.setConnected(true);
      }
    } else if (code === State.DISCONNECTED.code) {
      this.waitingSince = Date.now();
      this.session?.setConnected(false);
      this.report("connection", "disconnected from ZooKeeper; reconnecting");
    } else if (code === State.EXPIRED.code) {
      this.expire("ZooKeeper expired the session");
    } else if (code === State.AUTH_FAILED.code) {
      this.faults.next(
        backendError("session", new Error("ZooKeeper refused the credentials"), { recoverable: false }),
      );
    }
  }

  private tick(): void {
    if (this.closed || this.client === undefined) return;
    const now = Date.now();
    const { sessionTimeoutMs } = this.options;
    const session = this.session;
    // A connected client that was not asked lately (this process stalled) is asked first.
    const unheard = session !== undefined && now - this.lastHeard > 1.5 * sessionTimeoutMs;
    if (unheard && (this.probing || !session.connected)) {
      this.expire(
        `no answer from ZooKeeper for ${now - this.lastHeard} ms (over 1.5 x the session timeout ` +
          `of ${sessionTimeoutMs} ms): the session is treated as expired`,
      );
      return;
    }
    if (this.waitingSince !== undefined && now - this.waitingSince >= this.connectTimeoutMs) {
      // Connecting for longer than a server's share of the session timeout: the client only times
      // out the TCP connect, not a handshake that a silent server never answers (a SIGSTOPped
      // leader accepts connections and says nothing). Drop it so that it tries the next server.
      this.waitingSince = now;
      dropConnection(this.client);
      return;
    }
    if (session?.connected === true && !this.probing) this.probe(session);
  }

  private probe(session: ZkSession): void {
    this.probing = true;
    const deadline = Math.max(100, Math.floor(this.options.sessionTimeoutMs / 3));
    zkCall<unknown>("probe", deadline, (done) => session.client.exists("/", done))
      .then(
        () => {
          if (session === this.session) this.lastHeard = Date.now();
        },
        (e: unknown) => {
          if (session !== this.session || this.closed || !session.connected) return;
          // Any answer of the server's (NO_NODE under a chroot that is not there) is an answer.
          const code = codeOf(e);
          if (code !== undefined && code !== zookeeper.Exception.CONNECTION_LOSS) {
            this.lastHeard = Date.now();
            return;
          }
          this.report("probe", `exists("/") got no answer within ${deadline} ms; reconnecting`);
          // A silent connection: drop it; the client reconnects, within the session.
          dropConnection(session.client);
        },
      )
      .finally(() => (this.probing = false));
  }

  /** The current session is gone: say so, abandon its client, and make a new one. */
  private expire(reason: string): void {
    const session = this.session;
    const client = this.client;
    const error = backendError("session", new Error(`${session?.id ?? "session"}: ${reason}`));
    this.current.next(undefined);
    this.session = undefined;
    this.client = undefined;
    this.faults.next(error);
    session?.markLost(error);
    if (client !== undefined) this.abandon(client);
    if (!this.closed) this.connect();
  }

  private report(operation: string, message: string): void {
    this.faults.next(backendError(operation, new Error(message)));
  }

  /**
   * Closes a client within the request deadline: a connected one closes its session (its
   * ephemeral nodes go at once); one that is not connected is stopped, and its session expires
   * on the server. Either way no timer or socket of it outlives this.
   */
  private abandon(client: ZkClient): void {
    const done = stopClient(client, this.options.requestTimeoutMs);
    this.abandoned.add(done);
    void done.finally(() => this.abandoned.delete(done));
  }

  /** Closes the session (its ephemeral nodes go at once when connected) and stops everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    const session = this.session;
    const client = this.client;
    this.session = undefined;
    this.client = undefined;
    this.current.next(undefined);
    this.current.complete();
    session?.markLost(backendError("session", new Error("the naming was closed"), { recoverable: false }));
    if (client !== undefined) this.abandon(client);
    await Promise.all([...this.abandoned]);
    this.faults.complete();
  }
}
