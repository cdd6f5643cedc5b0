import type { Etcd3, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from "etcd3";
import { backendError, type NamingError } from "../../model/index.js";
import { openStream, quietlyClose, quietlyWrite, Suspects, type DuplexStream } from "./streams.js";

type Stream = DuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Held {
  readonly id: string;
  readonly ttlMs: number;
  /** When etcd last confirmed the lease alive. */
  lastConfirmed: number;
  /** When the next keep-alive is due. */
  nextDue: number;
  readonly lost: (error: NamingError) => void;
}

export interface KeepAliveHubOptions {
  /** How often the hub looks for keep-alives that are due. Default 250 ms. */
  readonly tickMs?: number;
  /** Members seen hung or unreachable, shared with the backend's other streams. */
  readonly suspects?: Suspects;
}

/**
 * Keeps every lease of a backend alive over one LeaseKeepAlive stream, as etcd's Go client does,
 * instead of the `etcd3` client's stream per lease: a thousand registrations cost one stream.
 * Each lease is refreshed every TTL/3. It is lost when etcd answers a keep-alive with TTL 0 (it
 * expired, or was revoked by someone else), or when etcd has not confirmed it for a whole TTL:
 * then etcd has expired it, or will have by the time we can reach it again (the Go client's rule).
 *
 * A stream that breaks, or stays silent while keep-alives are due, is re-made at once (and then
 * with a short backoff), so a hung or partitioned member is left within a few seconds. On close
 * the stream is cancelled, not just half-closed, so that nothing holds the connection open.
 */
export class KeepAliveHub {
  private readonly held = new Map<string, Held>();
  private stream: Stream | undefined;
  /** The member the stream runs to. */
  private host: string | undefined;
  private readonly suspects: Suspects;
  private connecting = false;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private lastSent = 0;
  private retryAt = 0;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly options: KeepAliveHubOptions = {},
  ) {
    this.suspects = options.suspects ?? new Suspects();
  }

  /** Keeps `id` alive from now on (it was just granted or confirmed). Returns the stop function. */
  add(id: string, ttlSeconds: number, lost: (error: NamingError) => void): () => void {
    const now = Date.now();
    const ttlMs = ttlSeconds * 1000;
    const held: Held = { id, ttlMs, lastConfirmed: now, nextDue: now + ttlMs / 3, lost };
    this.held.set(id, held);
    this.start();
    return () => this.remove(held);
  }

  close(): void {
    this.closed = true;
    this.held.clear();
    this.stop();
  }

  private remove(held: Held): void {
    if (this.held.get(held.id) !== held) return;
    this.held.delete(held.id);
    if (this.held.size === 0) this.stop();
  }

  private start(): void {
    if (this.ticker !== undefined || this.closed) return;
    // Not unref'd: a held lease keeps the process alive, as its socket would while etcd is up.
    this.ticker = setInterval(() => this.tick(), this.options.tickMs ?? 250);
  }

  private stop(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.dropStream();
  }

  private tick(): void {
    const now = Date.now();
    for (const held of [...this.held.values()]) {
      if (now - held.lastConfirmed > held.ttlMs) {
        this.declareLost(
          held,
          `etcd has not confirmed lease ${held.id} for its whole TTL (${held.ttlMs} ms)`,
        );
      }
    }
    if (this.held.size === 0) return;
    const stream = this.stream;
    if (stream === undefined) {
      if (now >= this.retryAt) this.connect();
      return;
    }
    // Keep-alives went out and nothing came back for a while: the member is hung or cut off.
    // etcd answers in milliseconds; wait a quarter TTL (1 to 3 s) so that there is time left to
    // try another member, and another, before the lease runs out.
    const minTtl = Math.min(...[...this.held.values()].map((h) => h.ttlMs));
    if (
      this.lastSent > this.lastHeard &&
      now - this.lastSent > Math.min(3_000, Math.max(1_000, minTtl / 4))
    ) {
      this.broken(new Error(`lease keep-alive stream silent for ${now - this.lastSent} ms`));
      return;
    }
    for (const held of this.held.values()) {
      if (now < held.nextDue) continue;
      held.nextDue = now + held.ttlMs / 3;
      this.send(stream, held.id);
    }
  }

  private send(stream: Stream, id: string): void {
    if (this.lastSent <= this.lastHeard) this.lastSent = Date.now();
    quietlyWrite(stream, { ID: id });
  }

  private connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    openStream<Stream>(
      this.client,
      {
        service: "Lease",
        method: "leaseKeepAlive",
        fallback: () => this.client.leaseClient.leaseKeepAlive(),
      },
      this.suspects,
    ).then(
      ({ stream, host }) => {
        this.connecting = false;
        if (this.closed || this.held.size === 0) {
          quietlyClose(stream);
          return;
        }
        this.stream = stream;
        this.host = host;
        this.lastHeard = Date.now();
        this.lastSent = 0;
        stream
          .on("data", (res: ILeaseKeepAliveResponse) => this.onResponse(stream, res))
          .on("error", (err: Error) => stream === this.stream && this.broken(err))
          .on("end", () => stream === this.stream && this.broken(new Error("lease keep-alive stream ended")));
        // Everything is due at once on a new stream: confirm every lease now.
        for (const held of this.held.values()) {
          held.nextDue = Date.now() + held.ttlMs / 3;
          this.send(stream, held.id);
        }
      },
      (err: unknown) => {
        this.connecting = false;
        this.broken(err);
      },
    );
  }

  private onResponse(stream: Stream, res: ILeaseKeepAliveResponse): void {
    if (stream !== this.stream) return;
    this.lastHeard = Date.now();
    this.attempt = 0;
    const held = this.held.get(String(res.ID));
    if (held === undefined) return;
    if (Number(res.TTL) <= 0) {
      this.declareLost(held, `etcd says lease ${held.id} has expired or was revoked`);
      return;
    }
    held.lastConfirmed = Date.now();
  }

  private declareLost(held: Held, reason: string): void {
    this.remove(held);
    held.lost(backendError("lease keep-alive", new Error(reason), { recoverable: true }));
  }

  private broken(_err: unknown): void {
    this.suspects.mark(this.host);
    this.dropStream();
    const delay = Math.min(1_000, 100 * 2 ** Math.min(10, this.attempt++));
    this.retryAt = Date.now() + delay / 2 + (Math.random() * delay) / 2;
  }

  private dropStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.host = undefined;
    if (stream !== undefined) quietlyClose(stream);
  }
}
