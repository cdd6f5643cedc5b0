import {
  castGrpcError,
  EtcdInvalidAuthTokenError,
  GRPCUnavailableError,
  GRPCResourceExhastedError,
  isRecoverableError,
  type Etcd3,
  type IRangeResponse,
} from "etcd3";
import { withDeadline } from "../../shared/deadline.js";
import {
  callOn,
  decodesRaw,
  openStreamOn,
  poolOf,
  reconnectBackoffOf,
  type Member,
  type Pool,
} from "./etcd3-internals.js";
import type { DuplexStream } from "./streams.js";
import { Suspects } from "./suspects.js";

/**
 * The longest reconnect backoff for which a member's channels are left to reconnect by themselves.
 * gRPC's default is 120 s, too long to wait after a partition (a lease would be lost for minutes).
 */
const SHORT_BACKOFF_MS = 5_000;

/** Whether a member's channels reconnect soon enough by themselves (`etcdClientOptions` sees to it). */
const reconnectsSoon = (member: Member): boolean => {
  const max = reconnectBackoffOf(member);
  return max !== undefined && max <= SHORT_BACKOFF_MS;
};

/** What a probe of a member found: whether it answered, and in which Raft term. */
export interface Probe {
  readonly alive: boolean;
  readonly term?: number;
}

/** A stream and the etcd member (host:port) it runs to. */
export interface Opened<S> {
  readonly stream: S;
  readonly host: string | undefined;
}

/** How to open a stream: the service, the method, extra metadata, and the public way as a fallback. */
export interface StreamSpec<S> {
  readonly service: "Watch" | "Lease";
  /** The gRPC method on the service client: "watch", "leaseKeepAlive". */
  readonly method: string;
  /** Extra metadata for the stream, e.g. "hasleader". */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The public way to open it, for a client without the pool we expect. */
  readonly fallback: () => Promise<S>;
}

/** A unary call: the service, the method, the request; the public way as a fallback. */
export interface UnarySpec<Res> {
  readonly service: "KV" | "Lease";
  readonly method: string;
  readonly request: object;
  readonly fallback: (options: { deadline: Date }) => Promise<Res>;
  /**
   * Decodes the answer from the wire instead of the client's decoder (the fallback is then the
   * client's answer, converted): for a reply too large to decode twice, the range of a snapshot.
   */
  readonly deserialize?: (message: Buffer) => Res;
}

/** Whether an error says that the auth token expired (a watch refused, a call rejected). */
const isExpiredToken = (error: Error): boolean =>
  error instanceof EtcdInvalidAuthTokenError ||
  /invalid auth token|auth token/i.test(error.message) ||
  (error.cause instanceof Error && isExpiredToken(error.cause));

/**
 * The members of the etcd cluster a client knows, with the ones recently seen hung or
 * unreachable ("suspects"), so that every call and stream of rxnaming goes to a healthy member
 * first.
 *
 * rxnaming's calls go to the members directly, not through the client's fault policy: with the
 * `etcd3` defaults, a host's circuit breaker opens after three failures and stays open 5 s, so a
 * lease lost in a partition would come back seconds after the network did. Here a failed member
 * is only put last in line for a few seconds, and its connection is re-made (as the client does),
 * so the first call after the network returns goes through. A client whose pool is not the one we know
 * is used through its public API (a naming refuses such a client: `checkEtcd3Client`).
 */
export class Members {
  private readonly suspicion = new Suspects();
  private readonly pool: Pool | undefined;
  private cursor = 0;

  constructor(
    /** The client whose members these are. */
    readonly client: Etcd3,
  ) {
    this.pool = poolOf(client);
  }

  /** Puts `host` last in line for `forMs`. Without another member to go to, it changes nothing. */
  suspect(host: string | undefined, forMs?: number): void {
    this.suspicion.add(host, forMs);
  }

  /**
   * A stream to `host` failed with `error`: suspect the member, unless the error says only that
   * our auth token expired. etcd refuses a stream's new watches once the token it opened with
   * expires, however healthy the member; the stream is re-made with a fresh token, and may well
   * go to the same member.
   */
  streamFailed(host: string | undefined, error: Error): void {
    if (isExpiredToken(error)) return;
    this.suspect(host);
  }

  /** The members suspect now, for diagnostics. */
  suspects(): string[] {
    return this.suspicion.list();
  }

  /** Whether `host` was seen hung or unreachable lately. */
  isSuspect(host: string | undefined): boolean {
    return this.suspicion.has(host);
  }

  /**
   * The members in the order to try them: healthy ones first (taking turns), then suspects, the
   * one whose suspicion ends first first. Picking before opening means a stream is never opened
   * to a suspect only to be cancelled, and a lone member is simply used.
   */
  private order(): Member[] {
    const hosts = this.pool?.hosts ?? [];
    const start = this.cursor++ % Math.max(1, hosts.length);
    return this.suspicion.order([...hosts.slice(start), ...hosts.slice(0, start)]);
  }

  /**
   * A member failed a call or a stream: suspect it. When it could not be reached and the client
   * leaves gRPC's reconnect backoff at its default (up to 2 minutes), re-make its connection, as
   * the client does. A deadline alone does not: the channel may carry healthy streams.
   *
   * A client whose backoff is short (`etcdClientOptions`) is left to reconnect by itself, because
   * re-making a connection during a partition leaks one: grpc-js 1.14 closes a channel whose
   * subchannel waits out a backoff without stopping it, so the subchannel connects when the member
   * is back and nothing ever closes that connection: docs/etcd.md#reconnects-that-leak-connections
   */
  failed(host: Member, error: Error): void {
    if (error instanceof GRPCUnavailableError && !reconnectsSoon(host)) host.resetAllServices();
    this.suspect(host.host);
  }

  /** Opens a stream to the first member in line, with extra metadata the public API cannot add. */
  async openStream<S extends DuplexStream<unknown, unknown>>(spec: StreamSpec<S>): Promise<Opened<S>> {
    const pool = this.pool;
    const host = this.order()[0];
    if (pool === undefined || host === undefined) return { stream: await spec.fallback(), host: undefined };
    const stream = await openStreamOn<S>(pool, host, spec.service, spec.method, spec.metadata);
    stream.on("error", (err: Error) => {
      // An error while we still write is the member's or the network's (or our token's): we
      // ended it otherwise.
      const error = castGrpcError(err);
      if (stream.writable === true && !isExpiredToken(error)) this.failed(host, error);
    });
    return { stream, host: host.host };
  }

  /**
   * A unary call with a deadline: to the members in line, moving to the next on a network or
   * server error (each try gets an even share of the time left), re-authenticating once on an
   * expired token. Rejects with the first member's error when none answered, and by the deadline
   * whatever happens (fetching an auth token included).
   */
  unary<Res>(spec: UnarySpec<Res>, deadlineMs: number): Promise<Res> {
    return withDeadline(spec.method, deadlineMs, this.tryMembers(spec, deadlineMs));
  }

  private async tryMembers<Res>(spec: UnarySpec<Res>, deadlineMs: number): Promise<Res> {
    const pool = this.pool;
    const end = Date.now() + deadlineMs;
    if (pool === undefined) return spec.fallback({ deadline: new Date(end) });
    const hosts = this.order();
    let first: Error | undefined;
    let reauthenticated = false;
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i]!;
      const left = end - Date.now();
      if (left <= 0) break;
      const tryMs = left / (hosts.length - i);
      try {
        return await this.call<Res>(pool, host, spec, new Date(Date.now() + tryMs));
      } catch (e) {
        const error = castGrpcError(e instanceof Error ? e : new Error(String(e)));
        if (error instanceof EtcdInvalidAuthTokenError && !reauthenticated) {
          reauthenticated = true;
          pool.authenticator.invalidateMetadata();
          i--;
          continue;
        }
        // A response over the client's receive limit is the request's fault, not the member's:
        // etcd3 calls it recoverable, but every member would answer the same.
        if (!isRecoverableError(error) || error instanceof GRPCResourceExhastedError) throw error;
        this.failed(host, error);
        first ??= error;
      }
    }
    throw first ?? new Error(`${spec.method}: no etcd member answered within ${deadlineMs} ms`);
  }

  /**
   * Whether the member `host` answers a cheap read (a serializable count of `key`) within
   * `deadlineMs`: tells a hung member from one that is only quiet on a stream.
   */
  async answers(host: string | undefined, key: string, deadlineMs: number): Promise<boolean> {
    return (await this.probe(host, key, deadlineMs)).alive;
  }

  /**
   * {@link answers}, with the Raft term the member is in when it answers a read (undefined when it
   * refused it): a term newer than the one a stream last saw means the leader changed meanwhile.
   */
  async probe(host: string | undefined, key: string, deadlineMs: number): Promise<Probe> {
    const target = this.pool?.hosts.find((h) => h.host === host);
    if (this.pool === undefined || target === undefined) return { alive: false };
    const k = Buffer.from(key);
    const request = { key: k, count_only: true, serializable: true, limit: 1 };
    const spec: UnarySpec<IRangeResponse> = {
      service: "KV",
      method: "range",
      request,
      fallback: () => Promise.reject(),
    };
    // Any answer will do, a refusal (permission denied, say) included: the member is alive.
    return this.call(this.pool, target, spec, new Date(Date.now() + deadlineMs)).then(
      (res) => ({ alive: true, term: Number(res.header.raft_term) }),
      (e: unknown) => ({
        alive: !isRecoverableError(castGrpcError(e instanceof Error ? e : new Error(String(e)))),
      }),
    );
  }

  private async call<Res>(pool: Pool, host: Member, spec: UnarySpec<Res>, deadline: Date): Promise<Res> {
    // A client whose services are not grpc-js' generated clients is called the public way.
    if (spec.deserialize !== undefined && !decodesRaw(host, spec.service, spec.method))
      return spec.fallback({ deadline });
    return callOn<Res>(pool, host, spec, deadline);
  }
}
