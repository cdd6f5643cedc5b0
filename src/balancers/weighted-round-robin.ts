import * as O from "fp-ts/lib/Option.js";
import { defer, type OperatorFunction } from "rxjs";
import {
  invalidInstance,
  invalidOption,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import { balancer } from "./balancer.js";
import type { BalancerOptions, Picked, Picker } from "./picker.js";
import { staticPick } from "./static-entry.js";

/** Options of {@link weightedRoundRobin}. */
export interface WeightedRoundRobinOptions extends BalancerOptions {
  /** The weight of an instance whose `metadata.weight` is missing or bad. Default 10, as Kratos. */
  readonly defaultWeight?: number;
  /**
   * Told once per instance version whose `metadata.weight` is missing or not a positive integer,
   * with an `InvalidInstance` error of field `metadata.weight`. Without it such weights fall back
   * silently.
   */
  readonly onError?: (error: NamingError) => void;
}

/** What WRR learns per hostname: the current weight, which must survive updates to stay smooth. */
interface WrrState {
  current: number;
}

/** The last pick of a subscription, shared by its pickers so that smoothness holds across updates. */
interface WrrMemory {
  last: WrrState | undefined;
}

interface WrrEntry {
  readonly instance: Instance;
  readonly some: O.Option<Picked>;
  readonly weight: number;
  readonly state: WrrState;
}

class WeightedRoundRobinPicker implements Picker {
  private readonly total: number;

  constructor(
    private readonly picks: readonly O.Option<Picked>[],
    private readonly weights: Float64Array,
    private readonly states: readonly WrrState[],
    private readonly memory: WrrMemory,
  ) {
    this.total = weights.reduce((a, b) => a + b, 0);
  }

  // nginx's smooth WRR: every peer gains its weight, the richest is picked and pays the total.
  // One change: when the richest is the previous pick and another peer is in credit (current > 0),
  // that one is picked instead. nginx repeats a peer across the end of a cycle (weights 2, 2, 3 give
  // "c a b c a b c | c a b ..."); this does not, and the shares over each cycle stay exact, since
  // the peers' credits still sum to zero at each cycle's end (property-tested).
  pick(): O.Option<Picked> {
    const { weights, states, memory } = this;
    const last = memory.last;
    let best = 0;
    let bestCurrent = -Infinity;
    let other = -1;
    let otherCurrent = 0;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const c = (s.current += weights[i]!);
      if (c > bestCurrent) {
        bestCurrent = c;
        best = i;
      }
      if (c > otherCurrent && s !== last) {
        otherCurrent = c;
        other = i;
      }
    }
    const chosen = states[best] === last && other !== -1 ? other : best;
    const s = states[chosen]!;
    s.current -= this.total;
    memory.last = s;
    return this.picks[chosen]!;
  }
}

const WEIGHT = /^[0-9]{1,9}$/;

/**
 * Smooth weighted round robin (nginx's, made smoother across cycles), weights from
 * `metadata.weight` (a positive integer). Over a cycle of `sum(weights)` picks each instance is
 * picked exactly `weight` times, and the picks are interleaved: an instance is picked twice in a
 * row only when its weight is at least the others' together.
 *
 * A missing or bad weight ("", "abc", "0", "-3", "1.5") falls back to `defaultWeight` and is
 * reported to `onError` once per instance version. The current weights survive list updates, so
 * an update does not restart the cycle from a burst.
 *
 * Why: canaries and bigger machines get their share without a separate set. O(n) per pick.
 *
 * @example
 * resolver.instances$.pipe(weightedRoundRobin({ onError: (e) => log.warn(e.message) }))
 */
export const weightedRoundRobin = (
  options: WeightedRoundRobinOptions = {},
): OperatorFunction<InstancesInfo, Picker> => {
  const scheme = options.addrScheme ?? "grpc";
  const defaultWeight = options.defaultWeight ?? 10;
  if (!Number.isSafeInteger(defaultWeight) || defaultWeight < 1) {
    throw invalidOption(
      "weightedRoundRobin defaultWeight",
      `must be a positive integer, got ${defaultWeight}`,
    );
  }
  const onError = options.onError;
  const weightOf = (i: Instance): number => {
    const raw = i.metadata["weight"];
    const w = raw !== undefined && WEIGHT.test(raw) ? Number(raw) : 0;
    if (w > 0) return w;
    onError?.(
      invalidInstance(
        "metadata.weight",
        `of ${i.hostname} ${raw === undefined ? "is missing" : `is ${JSON.stringify(raw)}, not a positive integer`}; using the default weight ${defaultWeight}`,
      ),
    );
    return defaultWeight;
  };
  // defer: each subscription has its own memory of the last pick.
  return (source) =>
    defer(() => {
      const memory: WrrMemory = { last: undefined };
      return source.pipe(
        balancer<WrrEntry>({
          entry: (instance, previous) => ({
            instance,
            some: staticPick(instance, scheme),
            weight: weightOf(instance),
            state: previous?.state ?? { current: 0 },
          }),
          picker: (entries) =>
            new WeightedRoundRobinPicker(
              entries.map((e) => e.some),
              Float64Array.from(entries, (e) => e.weight),
              entries.map((e) => e.state),
              memory,
            ),
        }),
      );
    });
};
