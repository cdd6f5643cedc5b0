import type { ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from "etcd3";
import { backendError, type NamingError } from "../../model/index.js";
import type { Members } from "./members.js";
import { StreamEngine } from "./stream-engine.js";
import type { Probe } from "../../metrics/probe.js";

interface Held {
  readonly id: string;
  readonly ttlMs: number;
  /** When etcd last confirmed the lease alive. */
  lastConfirmed: number;
  /** When the next keep-alive is due. */
  nextDue: number;
  /** When the last keep-alive was sent (performance.now()): its answer's latency is measured from it. */
  sentAt: number;
  readonly lost: (error: NamingError) => void;
}

/** Tuning of the keep-alive stream. */
export interface KeepAliveHubOptions {
  /** How often the hub looks for keep-alives that are due. Default 250 ms. */
  readonly tickMs?: number;
}

/** What the backend gives the hub. */
export interface KeepAliveHubContext {
  readonly members: Members;
  /** Faults of the stream as a whole, once per outage: for `errors$`. */
  readonly fault: (error: NamingError) => void;
  /** Told each keep-alive's latency: for metrics. */
  readonly probe?: Probe;
}

/**
 * How long a keep-alive may go unanswered before the member is asked whether it is alive: etcd
 * answers in milliseconds, so a sixth of the shortest TTL (0.4 to 2 s) leaves time to try another
 * member, and another, before a lease runs out (a 3 s lease sends every second, so a hung member is
 * left about 1.5 to 2 s after its last answer, 1 s before the lease would expire).
 */
const silentMsFor = (minTtlMs: number): number => Math.min(2_000, Math.max(400, minTtlMs / 6));

/**
 * How long the member gets to answer that question. etcd's gRPC proxy answers a keep-alive only
 * when its own client next refreshes the lease (up to TTL/3 later), yet answers a read at once:
 * a slow keep-alive from a member that reads is not a hang.
 */
const CONFIRM_MS = 400;

/**
 * Keeps every lease of a backend alive over one LeaseKeepAlive stream, as etcd's Go client does,
 * instead of the `etcd3` client's stream per lease: a thousand registrations cost one stream.
 * Each lease is refreshed every TTL/3. It is lost when etcd answers a keep-alive with TTL 0 (it
 * expired, or was revoked by someone else), or when etcd has not confirmed it for a whole TTL:
 * then etcd has expired it, or will have by the time we can reach it again (the Go client's rule).
 *
 * The stream is run by a {@link StreamEngine}: one that breaks or leaves keep-alives unanswered is
 * re-made on another member after a short backoff, and the fault is reported once.
 */
export class KeepAliveHub {
  private readonly held = new Map<string, Held>();
  /** How many held leases have each TTL: the shortest is read on every tick, whatever the count. */
  private readonly ttls = new Map<number, number>();
  private readonly engine: StreamEngine<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** The newest Raft term seen in a keep-alive answer or a probe. */
  private term = 0;
  private readonly probe: Probe | undefined;

  constructor(
    context: KeepAliveHubContext,
    private readonly options: KeepAliveHubOptions = {},
  ) {
    const { members } = context;
    this.probe = context.probe;
    this.engine = new StreamEngine<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>({
      name: "lease keep-alive stream",
      open: () =>
        members.openStream({
          service: "Lease",
          method: "leaseKeepAlive",
          fallback: () => members.client.leaseClient.leaseKeepAlive(),
        }),
      wanted: () => this.held.size > 0,
      // Everything is due at once on a new stream: confirm every lease now.
      opened: () => {
        for (const held of this.held.values()) this.send(held, Date.now());
      },
      data: (res) => this.onResponse(res),
      fault: context.fault,
      suspect: (host, error) => members.streamFailed(host, error),
      // Capped lower than the watch's: a lease of 3 s has no second to wait after the network returns.
      backoff: { initialMs: 100, maxMs: 500 },
      tickMs: options.tickMs ?? 250,
      silentMs: () => silentMsFor(this.shortestTtlMs()),
      confirm: (host) => this.confirm(members, host),
    });
  }

  /** Keeps `id` alive from now on (it was just granted or confirmed). Returns the stop function. */
  add(id: string, ttlSeconds: number, lost: (error: NamingError) => void): () => void {
    const now = Date.now();
    const ttlMs = ttlSeconds * 1000;
    const held: Held = { id, ttlMs, lastConfirmed: now, nextDue: now + ttlMs / 3, sentAt: 0, lost };
    const replaced = this.held.get(id);
    if (replaced !== undefined) this.remove(replaced);
    this.held.set(id, held);
    this.ttls.set(ttlMs, (this.ttls.get(ttlMs) ?? 0) + 1);
    if (!this.closed) {
      // Not unref'd: a held lease keeps the process alive, as its socket would while etcd is up.
      this.ticker ??= setInterval(() => this.tick(), this.options.tickMs ?? 250);
      this.engine.want();
    }
    return () => this.remove(held);
  }

  /** Stops every keep-alive and the stream, for good. */
  close(): void {
    this.closed = true;
    this.held.clear();
    this.ttls.clear();
    this.stop();
    this.engine.close();
  }

  private remove(held: Held): void {
    if (this.held.get(held.id) !== held) return;
    this.held.delete(held.id);
    const n = (this.ttls.get(held.ttlMs) ?? 1) - 1;
    if (n === 0) this.ttls.delete(held.ttlMs);
    else this.ttls.set(held.ttlMs, n);
    if (this.held.size === 0) this.stop();
  }

  /** The shortest TTL held, ms (Infinity when none): over the distinct TTLs, which are few. */
  private shortestTtlMs(): number {
    let shortest = Infinity;
    for (const ttlMs of this.ttls.keys()) if (ttlMs < shortest) shortest = ttlMs;
    return shortest;
  }

  private stop(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.engine.release();
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
    this.engine.want();
    for (const held of this.held.values()) if (now >= held.nextDue) this.send(held, now);
  }

  private send(held: Held, now: number): void {
    if (this.engine.send({ ID: held.id })) {
      held.nextDue = now + held.ttlMs / 3;
      held.sentAt = performance.now();
    }
  }

  /**
   * Whether a silent stream's member is alive and the stream worth waiting for. A member that
   * answers a read is not hung, but a follower's keep-alive can still be stuck: etcd 3.4 forwards
   * it to the leader over HTTP and waits for that leader's answer for its whole request timeout
   * (5 s and two election timeouts), one keep-alive after another on the stream, even once another
   * leader was elected. So when the member is in a newer term than any keep-alive answer or probe
   * showed, the leader changed under the silent stream: it is re-made (a new stream's keep-alives
   * go to the new leader), and the new term becomes the known one, so that a stream opened after
   * the change (through etcd's gRPC proxy, which answers late by design) is not re-made again.
   */
  private async confirm(members: Members, host: string | undefined): Promise<boolean | string> {
    const probe = await members.probe(host, "/", CONFIRM_MS);
    if (!probe.alive) return false;
    if (probe.term === undefined || probe.term <= this.term) return true;
    const known = this.term;
    this.term = probe.term;
    return (
      known === 0 ||
      `the member answers, but etcd elected a new leader (term ${known} -> ${probe.term}): its keep-alives may wait on the old one`
    );
  }

  private onResponse(res: ILeaseKeepAliveResponse): void {
    const term = Number(res.header?.raft_term ?? 0);
    if (term > this.term) this.term = term;
    const held = this.held.get(String(res.ID));
    if (held === undefined) return;
    if (Number(res.TTL) <= 0) {
      this.declareLost(held, `etcd says lease ${held.id} has expired or was revoked`);
      return;
    }
    held.lastConfirmed = Date.now();
    if (held.sentAt > 0) this.probe?.keepAlive((performance.now() - held.sentAt) / 1000);
  }

  private declareLost(held: Held, reason: string): void {
    this.remove(held);
    held.lost(backendError("lease keep-alive", new Error(reason), { recoverable: true }));
  }
}
