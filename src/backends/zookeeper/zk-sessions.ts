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

/** Where the client of {@link ZkSessions} is. */
type ClientState =
  /** Not used yet: the first subscriber connects. */
  | { readonly tag: "idle" }
  /**
   * Looking for a server since `since`: a new client (no session yet), or one whose connection
   * dropped within `session`.
   */
  | {
      readonly tag: "connecting";
      readonly client: ZkClient;
      readonly session: ZkSession | undefined;
      readonly since: number;
      /** When the server last answered within the session. */
      lastHeard: number;
    }
  /** Connected within `session`. */
  | { readonly tag: "connected"; readonly client: ZkClient; readonly session: ZkSession; lastHeard: number }
  /** For good. */
  | { readonly tag: "closed" };

/**
 * Owns the ZooKeeper client and makes a new one whenever a session is lost: the client is dead
 * after expiry (docs/zookeeper.md#an-expired-client-is-dead). Connects on first use. Its state is
 * one {@link ClientState}: the client, its session and when it was last heard from change together.
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
  private state: ClientState = { tag: "idle" };
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** Whether a probe is in flight (one at a time). */
  private probing = false;
  private readonly abandoned = new Set<Promise<void>>();

  /**
   * How long one server may take to answer a connection, as ZooKeeper's own client allows: the
   * session timeout shared among the servers, so that the client can try each of them before its
   * session expires.
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
    const session = this.sessionOf(this.state);
    return session?.alive === true ? session : undefined;
  }

  private sessionOf(state: ClientState): ZkSession | undefined {
    return state.tag === "connecting" || state.tag === "connected" ? state.session : undefined;
  }

  private start(): void {
    if (this.state.tag !== "idle") return;
    this.connect();
    const period = Math.max(100, Math.floor(this.options.sessionTimeoutMs / 3));
    this.ticker = setInterval(() => this.tick(), period);
    // The client's socket keeps the process alive while it is open; this timer need not.
    this.ticker.unref();
  }

  /** A new client, without a session yet. */
  private connect(): void {
    const client = zookeeper.createClient(this.options.servers, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.state = { tag: "connecting", client, session: undefined, since: Date.now(), lastHeard: 0 };
    client.on("state", (event: { code: number }) => this.onState(client, event.code));
    client.connect();
  }

  private onState(client: ZkClient, code: number): void {
    const state = this.state;
    // An abandoned client's last words, or a closed one's.
    if ((state.tag !== "connecting" && state.tag !== "connected") || state.client !== client) return;
    const { State } = zookeeper;
    if (code === State.SYNC_CONNECTED.code || code === State.CONNECTED_READ_ONLY.code) {
      const session = state.session ?? new ZkSession(client);
      this.state = { tag: "connected", client, session, lastHeard: Date.now() };
      if (state.session === undefined) this.current.next(session);
      else session.setConnected(true);
    } else if (code === State.DISCONNECTED.code) {
      this.state = {
        tag: "connecting",
        client,
        session: state.session,
        since: Date.now(),
        lastHeard: state.lastHeard,
      };
      state.session?.setConnected(false);
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
    const state = this.state;
    if (state.tag !== "connecting" && state.tag !== "connected") return;
    const now = Date.now();
    const { sessionTimeoutMs } = this.options;
    // A connected client that was not asked lately (this process stalled) is asked first.
    const unheard = state.session !== undefined && now - state.lastHeard > 1.5 * sessionTimeoutMs;
    if (unheard && (this.probing || state.tag === "connecting")) {
      this.expire(
        `no answer from ZooKeeper for ${now - state.lastHeard} ms (over 1.5 x the session timeout ` +
          `of ${sessionTimeoutMs} ms): the session is treated as expired`,
      );
      return;
    }
    if (state.tag === "connecting" && now - state.since >= this.connectTimeoutMs) {
      // Connecting for longer than a server's share of the session timeout: the client only times
      // out the TCP connect, not a handshake that a silent server never answers (a paused leader
      // accepts connections and says nothing). Drop it so that it tries the next server.
      this.state = { ...state, since: now };
      dropConnection(state.client);
      return;
    }
    if (state.tag === "connected" && !this.probing) this.probe(state.session);
  }

  /** The server answered within `session`, if it is still the current one. */
  private heard(session: ZkSession): void {
    const state = this.state;
    if ((state.tag === "connecting" || state.tag === "connected") && state.session === session) {
      state.lastHeard = Date.now();
    }
  }

  private probe(session: ZkSession): void {
    this.probing = true;
    const deadline = Math.max(100, Math.floor(this.options.sessionTimeoutMs / 3));
    zkCall<unknown>("probe", deadline, (done) => session.client.exists("/", done))
      .then(
        () => this.heard(session),
        (e: unknown) => {
          if (this.state.tag !== "connected" || this.state.session !== session) return;
          // Any answer of the server's (NO_NODE under a chroot that is not there) is an answer.
          const code = codeOf(e);
          if (code !== undefined && code !== zookeeper.Exception.CONNECTION_LOSS) return this.heard(session);
          this.report("probe", `exists("/") got no answer within ${deadline} ms; reconnecting`);
          // A silent connection: drop it; the client reconnects, within the session.
          dropConnection(session.client);
        },
      )
      .finally(() => (this.probing = false));
  }

  /** The current session is gone: say so, abandon its client, and make a new one. */
  private expire(reason: string): void {
    const state = this.state;
    if (state.tag !== "connecting" && state.tag !== "connected") return;
    const error = backendError("session", new Error(`${state.session?.id ?? "session"}: ${reason}`));
    this.current.next(undefined);
    this.connect();
    this.faults.next(error);
    state.session?.markLost(error);
    this.abandon(state.client);
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
    const state = this.state;
    if (state.tag === "closed") return;
    this.state = { tag: "closed" };
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.current.next(undefined);
    this.current.complete();
    this.sessionOf(state)?.markLost(
      backendError("session", new Error("the naming was closed"), { recoverable: false }),
    );
    if (state.tag !== "idle") this.abandon(state.client);
    await Promise.all([...this.abandoned]);
    this.faults.complete();
  }
}
