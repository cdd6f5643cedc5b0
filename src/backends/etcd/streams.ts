import type { Etcd3 } from "etcd3";

/** A gRPC duplex stream as the `etcd3` client hands it out. */
export interface DuplexStream<Req, Res> {
  write(request: Req): unknown;
  end(): unknown;
  cancel(): void;
  on(event: "data", listener: (res: Res) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  on(event: "end", listener: () => void): this;
  readonly writable?: boolean;
}

/** A stream and the etcd member (host:port) it runs to. */
export interface Opened<S> {
  readonly stream: S;
  readonly host: string | undefined;
}

/**
 * Members recently seen hung or unreachable. A stream re-made right after one failed would go to
 * a random member of the client's pool, the bad one included; re-made away from it, a watch or
 * keep-alive moves to a healthy member at once instead of waiting out another timeout.
 */
export class Suspects {
  private readonly until = new Map<string, number>();

  mark(host: string | undefined, forMs = 5_000): void {
    if (host !== undefined) this.until.set(host, Date.now() + forMs);
  }

  has(host: string | undefined): boolean {
    if (host === undefined) return false;
    const until = this.until.get(host);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(host);
    return false;
  }
}

// What we use of the client's internal connection pool (etcd3 1.1.x) and gRPC metadata.
interface MetadataLike {
  clone(): MetadataLike;
  set(key: string, value: string): void;
}
interface PoolLike {
  withConnection<T>(
    service: "Watch" | "Lease",
    fn: (args: { resource: { host?: string }; client: unknown; metadata: MetadataLike }) => T,
  ): Promise<T>;
  markFailed(resource: unknown, error: Error): void;
}

export interface StreamSpec<S> {
  readonly service: "Watch" | "Lease";
  /** The gRPC method on the service client: "watch", "leaseKeepAlive". */
  readonly method: string;
  /** Extra metadata for the stream, e.g. "hasleader". */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The public way to open it, for a client without the pool we expect. */
  readonly fallback: () => Promise<S>;
}

/**
 * Opens a stream through the client's pool, to a member not in `suspects` when it can (a few
 * tries; with every member suspect, whatever comes), with extra metadata that the client's public
 * API cannot add. Like the client's own streams, one that fails while writable marks its member
 * failed in the pool.
 */
export const openStream = async <S extends DuplexStream<unknown, unknown>>(
  client: Etcd3,
  spec: StreamSpec<S>,
  suspects: Suspects,
): Promise<Opened<S>> => {
  const pool = (client as unknown as { pool?: PoolLike }).pool;
  if (typeof pool?.withConnection !== "function") return { stream: await spec.fallback(), host: undefined };
  const tries = 4;
  for (let attempt = 1; ; attempt++) {
    const opened = await pool.withConnection(spec.service, ({ resource, client: service, metadata }) => {
      const md = metadata.clone();
      for (const [k, v] of Object.entries(spec.metadata ?? {})) md.set(k, v);
      const open = (service as Record<string, (md: MetadataLike, options: object) => S>)[spec.method]!;
      const stream = open.call(service, md, {});
      stream.on("error", (err: Error) => {
        if (stream.writable === true) pool.markFailed(resource, err);
      });
      return { stream, host: resource.host };
    });
    if (!suspects.has(opened.host) || attempt >= tries) return opened;
    quietlyClose(opened.stream);
  }
};

/** Half-closes, then cancels: `writable` is false by the time the cancel's error fires, so the
 * client's circuit breaker does not count a stream we ended ourselves (ETCD3-NOTES trap 4). */
export const quietlyClose = (stream: DuplexStream<unknown, unknown>): void => {
  stream.on("error", () => undefined);
  try {
    stream.end();
  } catch {
    // already ended
  }
  stream.cancel();
};

/** Writes to a stream that may have ended meanwhile: its end is handled where it is seen. */
export const quietlyWrite = <Req>(stream: DuplexStream<Req, unknown>, request: Req): void => {
  try {
    stream.write(request);
  } catch {
    // write after end: the stream's error or end event re-makes it
  }
};
