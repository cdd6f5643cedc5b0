import type * as O from "fp-ts/lib/Option.js";
import type { OperatorFunction } from "rxjs";
import { functionOption, optionsRecord, type InstancesInfo } from "../model/index.js";
import { balancerOf } from "./balancer.js";
import { guardedRandom } from "./guarded-sources.js";
import type { BalancerOptions, Picked, Picker } from "./picker.js";
import { staticEntry, type StaticEntry } from "./static-entry.js";
import { addrSchemeOption, COMMON_KEYS, trafficRules } from "./traffic-options.js";

/** Options of {@link random}. */
export interface RandomOptions extends BalancerOptions {
  /**
   * The source of randomness in [0, 1), default `Math.random` (a seeded one makes tests
   * repeatable). A value outside [0, 1) (NaN included) is taken as the nearest end of it.
   */
  readonly random?: () => number;
}

class RandomPicker implements Picker {
  constructor(
    private readonly picks: readonly O.Option<Picked>[],
    private readonly random: () => number,
  ) {}

  pick(): O.Option<Picked> {
    return this.picks[Math.floor(this.random() * this.picks.length)]!;
  }
}

/**
 * Uniform random choice among the instances.
 *
 * Why: no shared position at all, so it needs no coordination and has no pattern that
 * synchronised clients could fall into; on average as fair as round robin.
 *
 * @example
 * resolver.instances$.pipe(random())
 */
export const random = (options?: RandomOptions): OperatorFunction<InstancesInfo, Picker> => {
  const o = optionsRecord("random options", options, [...COMMON_KEYS, "random"], "random");
  const scheme = addrSchemeOption("random", o);
  const rules = trafficRules("random", o);
  const given = functionOption<() => number>("random random", o["random"]) ?? Math.random;
  const rnd = given === Math.random ? given : guardedRandom(given);
  return balancerOf<StaticEntry>(
    {
      entry: (instance, _previous, report) => staticEntry(instance, scheme, report),
      picker: (entries) =>
        new RandomPicker(
          entries.map((e) => e.some),
          rnd,
        ),
    },
    rules,
  );
};
