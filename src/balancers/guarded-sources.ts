/**
 * Guards around the sources of randomness and time a user may hand a balancer: whatever they
 * return, the pick path gets a value it can index and subtract with.
 */

/**
 * A source of randomness that stays in [0, 1) whatever the user's returns: NaN and values below
 * 0 count as 0, values at or above 1 as just below 1. Why: an index computed from it must exist.
 */
export const guardedRandom =
  (random: () => number): (() => number) =>
  () => {
    const r = random();
    return r >= 0 ? (r < 1 ? r : 0.9999999999999999) : 0;
  };

/**
 * A clock that never returns NaN or an infinity, and never goes back: a bad reading repeats the
 * last good one. Why: times are subtracted and compared, and one NaN would poison every average.
 */
export const guardedClock = (now: () => number): (() => number) => {
  let last = -Infinity;
  return () => {
    const t = now();
    if (Number.isFinite(t) && t >= last) last = t;
    return last === -Infinity ? 0 : last;
  };
};
