import * as O from "fp-ts/lib/Option.js";
import type { OperatorFunction } from "rxjs";
import {
  functionOption,
  numberOption,
  optionsRecord,
  type Instance,
  type InstancesInfo,
} from "../model/index.js";
import { balancerOf, type PickDone } from "./balancer.js";
import { guardedClock, guardedRandom } from "./guarded-sources.js";
import { pickAddr } from "./pick-addr.js";
import type { BalancerOptions, Picked, Picker, PickResult } from "./picker.js";
import { addrSchemeOption, COMMON_KEYS, trafficRules } from "./traffic-options.js";

/** Options of {@link p2c}. */
export interface P2cOptions extends BalancerOptions {
  /**
   * The clock in milliseconds, default the `scheduler`'s when one is given, else `performance.now`;
   * a scheduler's `now` makes it virtual.
   * A reading that is not finite, or earlier than the last, counts as the last good one.
   */
  readonly now?: () => number;
  /** The source of randomness in [0, 1), default `Math.random`; outside [0, 1) (NaN too) counts as its nearest end. */
  readonly random?: () => number;
  /** The time constant of the EWMAs of latency and success, default 600 ms (Kratos' tau). */
  readonly decayMs?: number;
  /** An instance not picked for this long is picked when it is drawn, default 3000 ms (Kratos' forcePick). */
  readonly forcePickMs?: number;
}

/** A day: longer times are a mistake in units rather than a wish. */
const MAX_MS = 86_400_000;

const NS_PER_MS = 1e6;

/** Past this many samples the latency estimate is a pure time-based EWMA. */
const MAX_SAMPLES = 1 << 20;

/** The least latency a failed request is learned as, in ms. */
const FAILURE_LATENCY_MS = 1_000;

/** What p2c learns about one hostname; survives list updates in which the hostname stays. */
class P2cNode {
  /** EWMA of latency, ms. */
  lag = 0;
  measured = false;
  /** Its first answer came (and was not learned as latency: see done). */
  warm = false;
  /** Latencies learned, counted up to MAX_SAMPLES. */
  samples = 0;
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
  readonly report: PickDone;
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
    private readonly entry: P2cEntry,
    private readonly start: number,
    private readonly config: P2cConfig,
  ) {
    this.instance = entry.instance;
    this.addr = entry.addr;
  }

  done(result?: PickResult): void {
    // A second call must not drive the in-flight count below the truth.
    if (this.finished) return;
    this.finished = true;
    const { node, report } = this.entry;
    node.inflight--;
    report(result);
    if (result?.notSent === true) return;
    // Given the latency, the request ended at start + latency: no second clock read, which costs
    // more than the rest of pick and done together on some machines.
    const latency = result?.latencyMs;
    const now = latency !== undefined && latency >= 0 ? this.start + latency : this.config.now();
    const measured = latency ?? now - this.start;
    const failed = result?.error !== undefined;
    // A failure is learned as a call of at least FAILURE_LATENCY_MS: an instance that refuses at
    // once must not win on latency, and fast failures must weigh more than slow answers (the
    // success EWMA alone, decaying by time, moves little in a burst of calls).
    const rtt = failed ? Math.max(measured, FAILURE_LATENCY_MS) : measured > 0 ? measured : 0;
    const td = now - node.stamp;
    node.stamp = now;
    // Time-based decay (as Kratos): an instance heard from rarely forgets faster, so one good answer
    // after a long silence is enough to bring a recovered instance back.
    const w = td > 0 ? Math.exp(-td / this.config.decayMs) : 1;
    node.success = node.success * w + (failed ? 0 : 1 - w);
    if (!failed && !node.measured && !node.warm) {
      // The first answer of an instance new to this balancer pays for a fresh connection's
      // warm-up; learned as its latency, it would starve an instance that is as fast as the rest.
      node.warm = true;
      return;
    }
    // Over its first samples the estimate is their plain mean (a sample weighs at least 1/n):
    // with the time-based weight alone, the first answers (a fresh connection is slow for a few)
    // would set the estimate for a whole time constant when calls come faster than it, and starve
    // an instance that is as fast as the others.
    const n = node.samples;
    const wl = n < w * (n + 1) ? n / (n + 1) : w;
    node.lag = node.lag * wl + rtt * (1 - wl);
    if (n < MAX_SAMPLES) node.samples = n + 1;
    node.measured = true;
  }
}

class P2cPicker implements Picker {
  constructor(
    private readonly entries: readonly P2cEntry[],
    private readonly config: P2cConfig,
    /** Slow-start factors, one per entry; undefined when none is ramping. */
    private readonly ramp: readonly number[] | undefined,
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
      // An unmeasured instance is taken to be as fast as the other: neither flooded for looking
      // idle nor starved for looking slow.
      const la = loadOf(na, nb);
      const lb = loadOf(nb, na);
      const ramp = this.ramp;
      const sa = ramp === undefined ? na.success : na.success * ramp[ia]!;
      const sb = ramp === undefined ? nb.success : nb.success * ramp[ib]!;
      // r: a's cost (load per success) over b's. a is chosen with probability 1 / (1 + r^4): the
      // better one nearly always when they differ (a 10x slower instance has ~3x the load, and
      // loses 99 draws in 100), a coin toss when they are alike. A strict comparison starves an
      // instance whose first answers happened to be slower: with time-based EWMAs the winner's
      // estimate moves slowly and the loser's not at all, and two identical servers split 199 to 1.
      const r = (la * sb) / (lb * sa);
      const r2 = r * r;
      const aWins = r !== r ? config.random() < 0.5 : config.random() * (1 + r2 * r2) < 1;
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

/** The load of `node`, its latency taken as `other`'s while it has none of its own. */
const loadOf = (node: P2cNode, other: P2cNode): number =>
  node.measured || !other.measured
    ? node.load()
    : (Math.sqrt(other.lag * NS_PER_MS) + 1) * (node.inflight + 1);

/**
 * Power of two choices, as Kratos' p2c: draw two instances at random and pick the one with the
 * better ratio of success (EWMA of errors) to load (EWMA of latency and requests in flight), both
 * learned from `Picked.done`; when the two are alike, either may win (the chance of the costlier
 * one falls with the fourth power of the ratio), so that alike instances share the traffic evenly. An instance not picked for `forcePickMs` is picked when drawn, so that a
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
export const p2c = (options?: P2cOptions): OperatorFunction<InstancesInfo, Picker> => {
  const o = optionsRecord(
    "p2c options",
    options,
    [...COMMON_KEYS, "now", "random", "decayMs", "forcePickMs"],
    "p2c",
  );
  const scheme = addrSchemeOption("p2c", o);
  const rules = trafficRules("p2c", o);
  const now = functionOption<() => number>("p2c now", o["now"]);
  const rnd = functionOption<() => number>("p2c random", o["random"]);
  const config: P2cConfig = {
    // Given a scheduler and no clock, its clock: one time for ejection, slow start and latencies.
    now:
      now !== undefined
        ? guardedClock(now)
        : o["scheduler"] !== undefined
          ? guardedClock(() => rules.scheduler.now())
          : () => performance.now(),
    random: rnd === undefined ? Math.random : guardedRandom(rnd),
    decayMs: numberOption("p2c decayMs", o["decayMs"], { min: 0, minExclusive: true, max: MAX_MS }, 600),
    forcePickMs: numberOption("p2c forcePickMs", o["forcePickMs"], { min: 0, max: MAX_MS }, 3000),
  };
  return balancerOf<P2cEntry>(
    {
      entry: (instance, previous, report) => ({
        instance,
        addr: pickAddr(instance, scheme),
        node: previous?.node ?? new P2cNode(config.now()),
        report,
      }),
      picker: (entries, ramp) => new P2cPicker(entries, config, ramp),
    },
    rules,
  );
};
