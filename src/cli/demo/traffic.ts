import type { Observable, Subscription } from "rxjs";
import { emptyPicker, type P2cOptions, type Picker } from "../../index.js";
import type { DemoService } from "./demo-service.js";

/** Requests one instance received. */
export interface InstanceTraffic {
  total: number;
  failed: number;
  latencySumMs: number;
  /** Requests lately, decayed with a time constant of a second: the share a bar shows. */
  recent: number;
  /** The same for the weighted round robin picker, which the demo runs beside p2c for comparison. */
  recentWrr: number;
}

const TICK_MS = 25;
const DECAY = Math.exp(-TICK_MS / 1000);

/**
 * A client sending simulated requests: each picked by p2c from its latest picker, answered by
 * the chosen service after that service's latency, and reported back to p2c with `done`. A
 * weighted round robin picker over the same sets is asked too (without sending), for comparison.
 */
export class Traffic {
  readonly byHost = new Map<string, InstanceTraffic>();
  requests = 0;
  /** Requests with no instance to go to, sent to one that had just stopped, or to a broken one. */
  failed = 0;
  private p2c: Picker = emptyPicker;
  private wrr: Picker = emptyPicker;
  private readonly subscriptions: Subscription[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private ticker: NodeJS.Timeout | undefined;
  private carry = 0;
  /** Hosts whose every request fails (the story breaks one), and hosts p2c has ejected now. */
  readonly broken = new Set<string>();
  readonly ejected = new Set<string>();

  /**
   * The options of the client's p2c: passive ejection short enough to end within the shortest
   * demo (1 s, then 2 s, ...), and a slow start for instances that join or return.
   */
  readonly p2cOptions: P2cOptions = {
    slowStartMs: 1_000,
    ejection: {
      baseEjectionMs: 1_000,
      onEvent: (e) => {
        if (e.type === "ejected") this.ejected.add(e.instance.hostname);
        else this.ejected.delete(e.instance.hostname);
        this.onEjection?.(e.type, e.instance.hostname, e.type === "ejected" ? e.forMs : 0);
      },
    },
  };

  /** Told when p2c ejects a host or takes it back. */
  onEjection: ((type: "ejected" | "returned", host: string, forMs: number) => void) | undefined;

  constructor(
    private readonly services: ReadonlyMap<string, DemoService>,
    private readonly perSecond: number,
  ) {}

  start(p2c$: Observable<Picker>, wrr$: Observable<Picker>): void {
    this.subscriptions.push(
      p2c$.subscribe((p) => (this.p2c = p)),
      wrr$.subscribe((p) => (this.wrr = p)),
    );
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.ticker);
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.pending.forEach((t) => clearTimeout(t));
    this.pending.clear();
  }

  /** Shares of recent traffic per hostname, p2c and wrr, in [0, 1]. */
  shares(): Map<string, { p2c: number; wrr: number }> {
    let p2c = 0;
    let wrr = 0;
    this.byHost.forEach((t) => {
      p2c += t.recent;
      wrr += t.recentWrr;
    });
    const out = new Map<string, { p2c: number; wrr: number }>();
    this.byHost.forEach((t, host) =>
      out.set(host, { p2c: p2c > 0 ? t.recent / p2c : 0, wrr: wrr > 0 ? t.recentWrr / wrr : 0 }),
    );
    return out;
  }

  private of(host: string): InstanceTraffic {
    let t = this.byHost.get(host);
    if (t === undefined) {
      t = { total: 0, failed: 0, latencySumMs: 0, recent: 0, recentWrr: 0 };
      this.byHost.set(host, t);
    }
    return t;
  }

  private tick(): void {
    // No requests before the client first sees an instance: the demo starts when its services do.
    if (this.p2c === emptyPicker && this.byHost.size === 0) return;
    this.byHost.forEach((t) => {
      t.recent *= DECAY;
      t.recentWrr *= DECAY;
    });
    this.carry += (this.perSecond * TICK_MS) / 1000;
    for (; this.carry >= 1; this.carry--) this.send();
  }

  private send(): void {
    this.requests++;
    const w = this.wrr.pick();
    if (w._tag === "Some") this.of(w.value.instance.hostname).recentWrr++;
    const choice = this.p2c.pick();
    if (choice._tag === "None") {
      this.failed++;
      return;
    }
    const pick = choice.value;
    const host = pick.instance.hostname;
    const t = this.of(host);
    t.total++;
    t.recent++;
    const service = this.services.get(host);
    if (this.broken.has(host)) {
      // A broken instance: up and registered, but every request fails.
      t.failed++;
      this.failed++;
      pick.done({ error: new Error("internal error"), latencyMs: 2 });
      return;
    }
    if (service === undefined || !service.serving) {
      // Picked from a set that still listed a stopped service: the request fails fast.
      t.failed++;
      this.failed++;
      pick.done({ error: new Error("connection refused"), latencyMs: 1 });
      return;
    }
    const latencyMs = service.latency();
    t.latencySumMs += latencyMs;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      pick.done({ latencyMs });
    }, latencyMs);
    this.pending.add(timer);
  }
}
