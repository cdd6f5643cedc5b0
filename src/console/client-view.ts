import * as O from "fp-ts/lib/Option.js";
import { map, type OperatorFunction } from "rxjs";
import type { Instance, Picked, Picker, PickResult } from "../index.js";

/** What the console shows of one instance as this process's balancers see it. */
export interface InstanceUse {
  /** The app of the instance. */
  readonly appId: string;
  /** The instance's hostname. */
  readonly hostname: string;
  /** Picks so far. */
  readonly picks: number;
  /** Picks whose `done` reported an error. */
  readonly errors: number;
  /** Picked and not done yet. */
  readonly inFlight: number;
  /** Moving average (EWMA) of reported latencies, in ms; undefined before the first. */
  readonly latencyMs: number | undefined;
  /** Reported through {@link ClientView.report}: ejected by outlier detection, and health. */
  readonly ejected: boolean;
  /** The last health state reported, if any (SERVING, NOT_SERVING, ...). */
  readonly health: string | undefined;
}

/** What a balancer, a health checker or outlier detection may tell the console about an instance. */
export interface InstanceReport {
  /** Whether the instance is ejected now. */
  readonly ejected?: boolean;
  /** Its health state now (SERVING, NOT_SERVING, ...). */
  readonly health?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DECAY = 0.2;

/**
 * The client's view: counts of picks, results and latency per instance, fed by the pickers that
 * {@link ClientView.track} wraps, and by {@link ClientView.report}. It never changes a pick.
 */
export class ClientView {
  private readonly uses = new Map<string, Mutable<InstanceUse>>();
  private version = 0;

  /** Grows on every count, so that the console pushes only when something changed. */
  get changes(): number {
    return this.version;
  }

  /**
   * An operator over a balancer's pickers that counts each pick and its `done` per instance. The
   * picks it returns are the balancer's, wrapped: `done` is passed on unchanged.
   *
   * @example
   * resolver.instances$.pipe(p2c(), view.track()).subscribe((p) => (picker = p));
   */
  track(): OperatorFunction<Picker, Picker> {
    return map((picker) => ({
      pick: (request) => {
        const picked = picker.pick(request);
        return O.isNone(picked) ? picked : O.some(this.counted(picked.value));
      },
    }));
  }

  /** Marks an instance ejected (or back), or sets its health, as the caller's checks found it. */
  report(instance: Pick<Instance, "appId" | "hostname">, report: InstanceReport): void {
    const use = this.use(instance);
    if (report.ejected !== undefined) use.ejected = report.ejected;
    if (report.health !== undefined) use.health = report.health;
    this.version++;
  }

  /** Every instance seen so far. */
  all(): readonly InstanceUse[] {
    return [...this.uses.values()].map((u) => ({ ...u }));
  }

  private counted(picked: Picked): Picked {
    const use = this.use(picked.instance);
    use.picks++;
    use.inFlight++;
    this.version++;
    const started = performance.now();
    let ended = false;
    return {
      instance: picked.instance,
      addr: picked.addr,
      done: (result?: PickResult) => {
        if (!ended) {
          ended = true;
          use.inFlight--;
          if (result?.notSent !== true) {
            if (result?.error !== undefined) use.errors++;
            const ms = result?.latencyMs ?? performance.now() - started;
            use.latencyMs = use.latencyMs === undefined ? ms : use.latencyMs + DECAY * (ms - use.latencyMs);
          }
          this.version++;
        }
        picked.done(result);
      },
    };
  }

  private use(instance: Pick<Instance, "appId" | "hostname">): Mutable<InstanceUse> {
    const key = `${instance.appId}\n${instance.hostname}`;
    let use = this.uses.get(key);
    if (use === undefined) {
      use = {
        appId: instance.appId,
        hostname: instance.hostname,
        picks: 0,
        errors: 0,
        inFlight: 0,
        latencyMs: undefined,
        ejected: false,
        health: undefined,
      };
      this.uses.set(key, use);
    }
    return use;
  }
}
