import type * as O from "fp-ts/lib/Option.js";
import { defer, type OperatorFunction } from "rxjs";
import {
  functionOption,
  invalidInstance,
  numberOption,
  optionsRecord,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import { balancerOf } from "./balancer.js";
import type { BalancerOptions, Picked, Picker } from "./picker.js";
import { SmoothWeightsPicker, type SmoothMemory, type SmoothState } from "./smooth-weights.js";
import { staticPick } from "./static-entry.js";
import { addrSchemeOption, COMMON_KEYS, trafficRules } from "./traffic-options.js";

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

interface WrrEntry {
  readonly instance: Instance;
  readonly some: O.Option<Picked>;
  readonly weight: number;
  readonly state: SmoothState;
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
 * A changed `metadata.weight` takes effect with the set that carries it: the instance's entry is
 * made again with the new weight, and keeps its current weight so that the cycle stays smooth.
 *
 * Why: canaries and bigger machines get their share without a separate set. O(n) per pick.
 *
 * @example
 * resolver.instances$.pipe(weightedRoundRobin({ onError: (e) => log.warn(e.message) }))
 */
export const weightedRoundRobin = (
  options?: WeightedRoundRobinOptions,
): OperatorFunction<InstancesInfo, Picker> => {
  const o = optionsRecord(
    "weightedRoundRobin options",
    options,
    [...COMMON_KEYS, "defaultWeight", "onError"],
    "weightedRoundRobin",
  );
  const scheme = addrSchemeOption("weightedRoundRobin", o);
  const rules = trafficRules("weightedRoundRobin", o);
  const defaultWeight = numberOption(
    "weightedRoundRobin defaultWeight",
    o["defaultWeight"],
    {
      min: 1,
      max: 999_999_999,
      integer: true,
    },
    10,
  );
  const onError = functionOption<(error: NamingError) => void>("weightedRoundRobin onError", o["onError"]);
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
      const memory: SmoothMemory = { last: undefined };
      return source.pipe(
        balancerOf<WrrEntry>(
          {
            entry: (instance, previous, report) => ({
              instance,
              some: staticPick(instance, scheme, report),
              weight: weightOf(instance),
              state: previous?.state ?? { current: 0 },
            }),
            // In slow start an instance's weight is scaled by its ramp factor.
            picker: (entries, ramp) =>
              new SmoothWeightsPicker(
                entries.map((e) => e.some),
                Float64Array.from(entries, (e, k) => e.weight * (ramp?.[k] ?? 1)),
                entries.map((e) => e.state),
                memory,
              ),
          },
          rules,
        ),
      );
    });
};
