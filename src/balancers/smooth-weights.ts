import type * as O from "fp-ts/lib/Option.js";
import type { Picked, Picker } from "./picker.js";

/** What smooth WRR keeps per instance: the current weight, which must survive updates to stay smooth. */
export interface SmoothState {
  current: number;
}

/** The last pick of a subscription, shared by its pickers so that smoothness holds across updates. */
export interface SmoothMemory {
  last: SmoothState | undefined;
}

/**
 * Smooth weighted round robin over fixed weights (any positive numbers): the picker of
 * {@link weightedRoundRobin}, and of round robin while an instance is in slow start.
 */
export class SmoothWeightsPicker implements Picker {
  private readonly total: number;

  constructor(
    private readonly picks: readonly O.Option<Picked>[],
    private readonly weights: Float64Array,
    private readonly states: readonly SmoothState[],
    private readonly memory: SmoothMemory,
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
