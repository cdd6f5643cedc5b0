import { connect, createServer, type Server, type Socket } from "node:net";
import { trackResource, untrackResource } from "./registry.js";

export type CutMode = "reset" | "blackhole";

export interface ProxyOptions {
  /** Scheme of `endpoint` (default: https if the target's endpoint is https, else http). */
  readonly scheme?: "http" | "https";
}

/** Anything with a client listener address: an EtcdProcess or a cluster member. */
export interface ProxyTarget {
  readonly hostPort: string;
  readonly endpoint?: string;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
  /** Bytes in both directions are dropped; closes are not passed on (a partition carries nothing). */
  blackholed: boolean;
}

/**
 * A loopback TCP proxy between a client and etcd, for network faults that a process signal cannot
 * make: a reset connection, or a partition where packets vanish and nobody is told.
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private mode: "open" | CutMode = "open";
  private acceptedCount = 0;
  readonly endpoint: string;
  readonly hostPort: string;

  constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
    scheme: "http" | "https",
  ) {
    // With TLS the client must dial "localhost" to match the cert SAN and avoid Node's DEP0123
    // warning for IP-addressed TLS; loopback resolves it to the proxy's 127.0.0.1 listener.
    this.endpoint = scheme === "https" ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    this.hostPort = `127.0.0.1:${port}`;
    server.on("connection", (socket) => this.accept(socket));
    trackResource(this);
  }

  /** "open", or the mode of the current cut. */
  get state(): "open" | CutMode {
    return this.mode;
  }
  /** Client connections currently held (piped, or swallowed by a blackhole). */
  get connections(): number {
    return this.pairs.size;
  }
  /** Client connections accepted since the proxy started: tells whether a client reconnected. */
  get accepted(): number {
    return this.acceptedCount;
  }

  private accept(client: Socket): void {
    this.acceptedCount++;
    client.on("error", () => undefined); // resets are the point here, not failures of the test
    if (this.mode === "reset") {
      client.resetAndDestroy(); // refuse: the client sees ECONNRESET at once
      return;
    }
    if (this.mode === "blackhole") {
      // Hold the connection and answer nothing, as a peer behind a partition that lost the SYN-ACK
      // would look to a client that already had a connection table entry.
      const pair: Pair = { client, upstream: undefined, blackholed: true };
      this.pairs.add(pair);
      client.on("data", () => undefined);
      client.on("close", () => this.pairs.delete(pair));
      return;
    }
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const pair: Pair = { client, upstream, blackholed: false };
    this.pairs.add(pair);
    this.pipe(pair, client, upstream);
    this.pipe(pair, upstream, client);
  }

  private pipe(pair: Pair, from: Socket, to: Socket): void {
    from.on("data", (chunk: Buffer) => {
      if (pair.blackholed || to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
    });
    from.on("end", () => {
      if (!pair.blackholed) to.end();
    });
    from.on("error", () => undefined);
    from.on("close", () => {
      if (pair.blackholed) {
        // A partition hides an etcd that dies behind it; a client that gives up just leaves.
        if (from === pair.client) {
          this.pairs.delete(pair);
          pair.upstream?.destroy();
        }
        return;
      }
      this.pairs.delete(pair);
      // An upstream that died (etcd killed) resets the client, as a dead server's kernel would.
      if (!to.destroyed) to.resetAndDestroy();
    });
  }

  /**
   * Cuts traffic. "reset" (default): every connection is reset and new ones are reset on accept — a
   * crashed server or a firewall REJECT; clients learn at once. "blackhole": connections stay open
   * but every byte is dropped and new connections are accepted and ignored — a partition; clients
   * learn only from their own timeouts and keep-alives.
   */
  cut(options: { mode?: CutMode } = {}): void {
    const mode = options.mode ?? "reset";
    this.mode = mode;
    for (const pair of [...this.pairs]) {
      if (mode === "reset") {
        this.pairs.delete(pair);
        pair.blackholed = true; // so the close handlers do not touch the other side twice
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
      } else {
        pair.blackholed = true;
        pair.client.resume(); // may be paused for backpressure: drain into the void instead
        pair.upstream?.resume();
      }
    }
  }

  /**
   * Lets traffic through again. Connections held by a blackhole are reset now: bytes were dropped
   * from the middle of their streams, so they cannot carry on (real TCP would have retransmitted, or
   * given up); clients reconnect through the open proxy.
   */
  restore(): void {
    this.mode = "open";
    for (const pair of [...this.pairs]) {
      if (!pair.blackholed) continue;
      this.pairs.delete(pair);
      if (!pair.client.destroyed) pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
  }

  /** Stops listening and resets every connection. Idempotent. */
  async close(): Promise<void> {
    untrackResource(this);
    this.cut({ mode: "reset" });
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  dispose(): Promise<void> {
    return this.close();
  }
}

function parseHostPort(target: string): { host: string; port: number } {
  const withoutScheme = target.replace(/^[a-z]+:\/\//, "");
  const colon = withoutScheme.lastIndexOf(":");
  const port = Number(withoutScheme.slice(colon + 1));
  if (colon === -1 || !Number.isInteger(port) || port <= 0)
    throw new Error(`startProxy: bad target "${target}"`);
  return { host: withoutScheme.slice(0, colon), port };
}

/** Starts a proxy on a free loopback port to `target` ("127.0.0.1:2379", a URL, or an EtcdProcess). */
export async function startProxy(
  target: string | ProxyTarget,
  options: ProxyOptions = {},
): Promise<TcpProxy> {
  const hostPort = typeof target === "string" ? target : target.hostPort;
  const { host, port } = parseHostPort(hostPort);
  const targetEndpoint = typeof target === "string" ? target : (target.endpoint ?? "");
  const scheme = options.scheme ?? (targetEndpoint.startsWith("https://") ? "https" : "http");
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("startProxy: no address");
  return new TcpProxy(server, address.port, host, port, scheme);
}
