import type * as O from "fp-ts/lib/Option.js";
import type { OperatorFunction } from "rxjs";
import type { InstancesInfo } from "../model/index.js";
import { balancer } from "./balancer.js";
import type { BalancerOptions, Picked, Picker } from "./picker.js";
import { staticEntry, type StaticEntry } from "./static-entry.js";

/** Options of {@link random}. */
export interface RandomOptions extends BalancerOptions {
  /** The source of randomness in [0, 1), default `Math.random` (a seeded one makes tests repeatable). */
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
export const random = (options: RandomOptions = {}): OperatorFunction<InstancesInfo, Picker> => {
  const scheme = options.addrScheme ?? "grpc";
  const rnd = options.random ?? Math.random;
  return balancer<StaticEntry>({
    entry: (instance) => staticEntry(instance, scheme),
    picker: (entries) =>
      new RandomPicker(
        entries.map((e) => e.some),
        rnd,
      ),
  });
};
