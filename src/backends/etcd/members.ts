import {
  castGrpcError,
  EtcdInvalidAuthTokenError,
  GRPCUnavailableError,
  GRPCResourceExhastedError,
  isRecoverableError,
  type Etcd3,
  type IRangeResponse,
} from "etcd3";
import { withDeadline } from "./etcd-errors.js";
import type { DuplexStream } from "./streams.js";

// What we use of the `etcd3` client's internals (1.1.x): its hosts, each with one gRPC channel per
// service, and its authenticator. The client's own calls go through its fault policy (retries,
// a per-host circuit breaker that stays open 5 s by default); ours go to the members directly.
interface MetadataLike {
  clone(): MetadataLike;
  set(key: string, value: string): void;
}
type Callback<Res> = (err: Error | null, res: Res) => void;
type ServiceClient = Record<
  string,
  (...args: [unknown, MetadataLike, { deadline?: Date }, Callback<unknown>?]) => unknown
>;
// grpc-js' own way to call a method with a deserializer of one's choosing (`Client.makeUnaryRequest`),
// and the method definitions a generated client keeps on its constructor.
interface MethodDefinition {
  readonly path: string;
  readonly requestSerialize: (request: unknown) => Buffer;
  /** The method's name on the client ("range"); the definition's key is the proto's ("Range"). */
  readonly originalName?: string;
}
interface RawCaller {
  makeUnaryRequest(
    path: string,
    serialize: (request: unknown) => Buffer,
    deserialize: (message: Buffer) => unknown,
    request: unknown,
    metadata: MetadataLike,
    options: { deadline?: Date },
    callback: Callback<unknown>,
  ): unknown;
}
const rawMethodOf = (
  service: ServiceClient,
  method: string,
): { caller: RawCaller; definition: MethodDefinition } | undefined => {
  const definitions = (service.constructor as { service?: Record<string, MethodDefinition> }).service ?? {};
  const definition = Object.values(definitions).find((d) => d.originalName === method) ?? definitions[method];
  const caller = service as unknown as Partial<RawCaller>;
  return typeof definition?.path === "string" && typeof caller.makeUnaryRequest === "function"
    ? { caller: caller as RawCaller, definition }
    : undefined;
};
interface HostLike {
  readonly host: string;
  /** The client's `grpcOptions`, as etcd3's Host keeps them. */
  readonly channelOptions?: Readonly<Record<string, unknown>>;
  getServiceClient(service: string): ServiceClient;
  resetAllServices(): void;
}

/**
 * The longest reconnect backoff for which a member's channels are left to reconnect by themselves.
 * gRPC's default is 120 s, too long to wait after a partition (a lease would be lost for minutes).
 */
const SHORT_BACKOFF_MS = 5_000;

/**
 * Whether a member's channels reconnect soon enough by themselves: the client bounds gRPC's
 * reconnect backoff, as `etcdClientOptions` does.
 */
const reconnectsSoon = (host: HostLike): boolean => {
  const max = host.channelOptions?.["grpc.max_reconnect_backoff_ms"];
  return typeof max === "number" && max <= SHORT_BACKOFF_MS;
};
interface PoolLike {
  readonly hosts: readonly HostLike[];
  readonly authenticator: { getMetadata(): Promise<MetadataLike>; invalidateMetadata(): void };
}

const poolOf = (client: Etcd3): PoolLike | undefined => {
  const pool = (client as unknown as { pool?: Partial<PoolLike> }).pool;
  return Array.isArray(pool?.hosts) && typeof pool.authenticator?.getMetadata === "function"
    ? (pool as PoolLike)
    : undefined;
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

/** How long a member stays suspect after it failed a call or a stream (default). */
const SUSPECT_MS = 5_000;

/**
 * The members of the etcd cluster a client knows, with the ones recently seen hung or
 * unreachable ("suspects"), so that every call and stream of rxnaming goes to a healthy member
 * first.
 *
 * rxnaming's calls go to the members directly, not through the client's fault policy: with the
 * `etcd3` defaults, a host's circuit breaker opens after three failures and stays open 5 s, so a
 * lease lost in a partition came back 4.8 s after the network did. Here a failed member is only
 * put last in line for a few seconds, and its connection is re-made (as the client does), so the
 * first call after the network returns goes through. A client whose pool is not the one we know
 * is used through its public API.
 */
export class Members {
  private readonly until = new Map<string, number>();
  private readonly pool: PoolLike | undefined;
  private cursor = 0;

  constructor(
    /** The client whose members these are. */
    readonly client: Etcd3,
  ) {
    this.pool = poolOf(client);
  }

  /** Puts `host` last in line for `forMs`. Without another member to go to, it changes nothing. */
  suspect(host: string | undefined, forMs = SUSPECT_MS): void {
    if (host !== undefined) this.until.set(host, Date.now() + forMs);
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
    return [...this.until.keys()].filter((host) => this.isSuspect(host));
  }

  /** Whether `host` was seen hung or unreachable lately. */
  isSuspect(host: string | undefined): boolean {
    if (host === undefined) return false;
    const until = this.until.get(host);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(host);
    return false;
  }

  /**
   * The members in the order to try them: healthy ones first (taking turns), then suspects, the
   * one whose suspicion ends first first. Picking before opening means a stream is never opened
   * to a suspect only to be cancelled, and a lone member is simply used.
   */
  private order(): HostLike[] {
    const hosts = this.pool?.hosts ?? [];
    const n = hosts.length;
    const start = this.cursor++ % Math.max(1, n);
    const rotated = [...hosts.slice(start), ...hosts.slice(0, start)];
    const healthy = rotated.filter((h) => !this.isSuspect(h.host));
    const suspects = rotated
      .filter((h) => this.isSuspect(h.host))
      .sort((a, b) => (this.until.get(a.host) ?? 0) - (this.until.get(b.host) ?? 0));
    return [...healthy, ...suspects];
  }

  /**
   * A member failed a call or a stream: suspect it. When it could not be reached and the client
   * leaves gRPC's reconnect backoff at its default (up to 2 minutes), re-make its connection, as
   * the client does. A deadline alone does not: the channel may carry healthy streams.
   *
   * A client whose backoff is short (`etcdClientOptions`) is left to reconnect by itself, because
   * re-making a connection during a partition leaks one: grpc-js 1.14 closes a channel whose
   * subchannel waits out a backoff without stopping it, so the subchannel connects when the member
   * is back and nothing ever closes that connection. A 3-member client cut off three times for
   * 8.5 s went from 22 sockets to 46.
   */
  failed(host: HostLike, error: Error): void {
    if (error instanceof GRPCUnavailableError && !reconnectsSoon(host)) host.resetAllServices();
    this.suspect(host.host);
  }

  /** Opens a stream to the first member in line, with extra metadata the public API cannot add. */
  async openStream<S extends DuplexStream<unknown, unknown>>(spec: StreamSpec<S>): Promise<Opened<S>> {
    const pool = this.pool;
    const host = this.order()[0];
    if (pool === undefined || host === undefined) return { stream: await spec.fallback(), host: undefined };
    const md = (await pool.authenticator.getMetadata()).clone();
    for (const [k, v] of Object.entries(spec.metadata ?? {})) md.set(k, v);
    const service = host.getServiceClient(spec.service);
    const open = service[spec.method] as unknown as (md: MetadataLike, options: object) => S;
    const stream = open.call(service, md, {});
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

  private async call<Res>(
    pool: PoolLike,
    host: HostLike,
    spec: UnarySpec<Res>,
    deadline: Date,
  ): Promise<Res> {
    const metadata = await pool.authenticator.getMetadata();
    const service = host.getServiceClient(spec.service);
    const deserialize = spec.deserialize;
    const raw = deserialize && rawMethodOf(service, spec.method);
    // A client whose services are not grpc-js' generated clients is called the public way.
    if (deserialize !== undefined && raw === undefined) return spec.fallback({ deadline });
    return new Promise<Res>((resolve, reject) => {
      const done: Callback<unknown> = (err, res) => {
        if (err !== null) reject(err);
        else resolve(res as Res);
      };
      if (raw) {
        const { caller, definition } = raw;
        caller.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          deserialize!,
          spec.request,
          metadata,
          { deadline },
          done,
        );
      } else service[spec.method]!.call(service, spec.request, metadata, { deadline }, done);
    });
  }
}
