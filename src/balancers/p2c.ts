import * as O from "fp-ts/lib/Option.js";
import type { OperatorFunction } from "rxjs";
import type { Instance, InstancesInfo } from "../model/index.js";
import { balancer } from "./balancer.js";
import { pickAddr } from "./pick-addr.js";
import type { BalancerOptions, Picked, Picker, PickResult } from "./picker.js";

/** Options of {@link p2c}. */
export interface P2cOptions extends BalancerOptions {
  /** The clock in milliseconds, default `performance.now`; a scheduler's `now` makes it virtual. */
  readonly now?: () => number;
  /** The source of randomness in [0, 1), default `Math.random`. */
  readonly random?: () => number;
  /** The time constant of the EWMAs of latency and success, default 600 ms (Kratos' tau). */
  readonly decayMs?: number;
  /** An instance not picked for this long is picked when it is drawn, default 3000 ms (Kratos' forcePick). */
  readonly forcePickMs?: number;
}

const NS_PER_MS = 1e6;

/** What p2c learns about one hostname; survives list updates in which the hostname stays. */
class P2cNode {
  /** EWMA of latency, ms. */
  lag = 0;
  measured = false;
  /** EWMA of success, 1 = no errors. */
  success = 1;
  inflight = 0;
  /** When `lag` and `success` were last updated. */
  stamp: number;
  lastPick: number;

  constructor(now: number) {
    this.stamp = now;
    this.lastPick = now;
  }

  /**
   * Kratos' load: sqrt of the latency (so that it does not dominate), times requests in flight.
   * The latency is taken in nanoseconds, as Kratos measures it: the `+ 1` is then negligible and
   * a 2 ms and a 50 ms instance differ by sqrt(25) = 5. In milliseconds the `+ 1` weighs in and
   * flattens that ratio to about 3.3, and a slow instance keeps too much of the traffic.
   */
  load(): number {
    return (Math.sqrt(this.lag * NS_PER_MS) + 1) * (this.inflight + 1);
  }
}

interface P2cEntry {
  readonly instance: Instance;
  readonly addr: string;
  readonly node: P2cNode;
}

/** The clock, decay and force-pick window shared by the pickers and picks of one operator. */
interface P2cConfig {
  readonly now: () => number;
  readonly random: () => number;
  readonly decayMs: number;
  readonly forcePickMs: number;
}

/**
 * A pick that is also its own `Option`: `{ _tag: "Some", value: this }`. Why: p2c needs a fresh
 * pick per request (done() must know its own start and whether it was already called), and being
 * the `Some` too halves what each pick allocates.
 */
class P2cPick implements Picked, O.Some<Picked> {
  readonly _tag = "Some" as const;
  readonly value: Picked = this;
  readonly instance: Instance;
  readonly addr: string;
  private finished = false;

  constructor(
    entry: P2cEntry,
    private readonly start: number,
    private readonly config: P2cConfig,
    private readonly node = entry.node,
  ) {
    this.instance = entry.instance;
    this.addr = entry.addr;
  }

  done(result?: PickResult): void {
    // A second call must not drive the in-flight count below the truth.
    if (this.finished) return;
    this.finished = true;
    const node = this.node;
    node.inflight--;
    if (result?.notSent === true) return;
    // Given the latency, the request ended at start + latency: no second clock read, which costs
    // more than the rest of pick and done together on some machines.
    const latency = result?.latencyMs;
    const now = latency !== undefined && latency >= 0 ? this.start + latency : this.config.now();
    const measured = latency ?? now - this.start;
    const rtt = measured > 0 ? measured : 0;
    const td = now - node.stamp;
    node.stamp = now;
    // Time-based decay (as Kratos): an instance heard from rarely forgets faster, so one good answer
    // after a long silence is enough to bring a recovered instance back.
    const w = td > 0 ? Math.exp(-td / this.config.decayMs) : 1;
    if (node.measured) {
      node.lag = node.lag * w + rtt * (1 - w);
    } else {
      node.lag = rtt;
      node.measured = true;
    }
    node.success = node.success * w + (result?.error === undefined ? 1 - w : 0);
  }
}

class P2cPicker implements Picker {
  constructor(
    private readonly entries: readonly P2cEntry[],
    private readonly config: P2cConfig,
  ) {}

  pick(): O.Option<Picked> {
    const { entries, config } = this;
    const n = entries.length;
    const now = config.now();
    let chosen: P2cEntry;
    if (n === 1) {
      chosen = entries[0]!;
    } else {
      const ia = Math.floor(config.random() * n);
      let ib = Math.floor(config.random() * (n - 1));
      if (ib >= ia) ib++;
      const a = entries[ia]!;
      const b = entries[ib]!;
      const na = a.node;
      const nb = b.node;
      // Higher success per unit of load wins (cross-multiplied to avoid two divisions).
      const aWins = na.success * nb.load() >= nb.success * na.load();
      chosen = aWins ? a : b;
      const loser = aWins ? nb : na;
      // The bias toward the unpicked: without it an instance that was slow once would never be
      // measured again, and could never win its traffic back.
      if (now - loser.lastPick > config.forcePickMs) chosen = aWins ? b : a;
    }
    const node = chosen.node;
    node.lastPick = now;
    node.inflight++;
    return new P2cPick(chosen, now, config);
  }
}

/**
 * Power of two choices, as Kratos' p2c: draw two instances at random and pick the one with the
 * better ratio of success (EWMA of errors) to load (EWMA of latency and requests in flight), both
 * learned from `Picked.done`. An instance not picked for `forcePickMs` is picked when drawn, so that a
 * recovered instance is measured again and wins its traffic back.
 *
 * Call `done` once per pick (with `{ latencyMs }` if you measured it, else the time since the pick
 * is used; with `{ error }` for a failure; with `{ notSent: true }` for a request that was picked
 * but never sent, so that it does not count as in flight for ever). What was learned about an instance survives list
 * updates in which it stays; a new instance starts unmeasured.
 *
 * Why: it routes around a slow or failing instance within a second, with no coordination and O(1)
 * work per pick.
 *
 * @example
 * const choice = picker.pick();
 * if (O.isSome(choice)) call(choice.value.addr).then(() => choice.value.done(), (error) => choice.value.done({ error }));
 */
export const p2c = (options: P2cOptions = {}): OperatorFunction<InstancesInfo, Picker> => {
  const scheme = options.addrScheme ?? "grpc";
  const config: P2cConfig = {
    now: options.now ?? (() => performance.now()),
    random: options.random ?? Math.random,
    decayMs: options.decayMs ?? 600,
    forcePickMs: options.forcePickMs ?? 3000,
  };
  return balancer<P2cEntry>({
    entry: (instance, previous) => ({
      instance,
      addr: pickAddr(instance, scheme),
      node: previous?.node ?? new P2cNode(config.now()),
    }),
    picker: (entries) => new P2cPicker(entries, config),
  });
};
