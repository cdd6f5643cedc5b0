import { invalidOption } from "../model/index.js";

/**
 * Checks of the options a balancer is given: a wrong one throws an `InvalidOption` naming the
 * option (`"p2c decayMs"`), what was expected and what came instead. Checked once, when the
 * operator is made, so that the pick path trusts what it holds.
 */

/** What a value is, in words, for a message: "a string", "null", "an array", "the number -1". */
export const describeValue = (value: unknown): string => {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "number":
      return `the number ${value}`;
    case "string":
      return "a string";
    case "object":
      return "an object";
    case "undefined":
      return "undefined";
    default:
      return `a ${typeof value}`;
  }
};

/** Edit distance, for "did you mean": keys are short, so the quadratic table is fine. */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const same = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase();
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (same ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
};

/** The known key closest to `key`. */
export const closest = (key: string, known: readonly string[]): string | undefined => {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
};

/**
 * The options object of `owner` (`undefined` is `{}`): anything but a plain object, or a key not
 * in `known`, throws, naming the key and the closest known one.
 */
export const optionsObject = (
  owner: string,
  value: unknown,
  known: readonly string[],
): Readonly<Record<string, unknown>> => {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidOption(`${owner} options`, `must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw invalidOption(
        `${owner} ${key}`,
        `is not an option of ${owner}${near === undefined ? "" : ` (did you mean "${near}"?)`}; known: ${known.join(", ")}`,
      );
    }
  }
  return value as Record<string, unknown>;
};

/** Bounds of a number option. */
export interface NumberRule {
  readonly min?: number;
  /** `min` itself is not allowed. */
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly integer?: boolean;
}

const ruleText = (rule: NumberRule): string => {
  const kind = rule.integer === true ? "an integer" : "a finite number";
  const parts = [kind];
  if (rule.min !== undefined) parts.push(`${rule.minExclusive === true ? ">" : ">="} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
  return parts.join(" ");
};

/** A number option, `fallback` when absent. */
export const numberOption = (
  name: string,
  value: unknown,
  fallback: number,
  rule: NumberRule = {},
): number => {
  if (value === undefined) return fallback;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (rule.integer !== true || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.minExclusive === true ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw invalidOption(name, `must be ${ruleText(rule)}, got ${describeValue(value)}`);
  return value;
};

/** A function option, `fallback` when absent. */
export const functionOption = <F>(name: string, value: unknown, fallback: F): F => {
  if (value === undefined) return fallback;
  if (typeof value !== "function")
    throw invalidOption(name, `must be a function, got ${describeValue(value)}`);
  return value as F;
};

/** A string option, `fallback` when absent. */
export const stringOption = (name: string, value: unknown, fallback: string): string => {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw invalidOption(name, `must be a string, got ${describeValue(value)}`);
  return value;
};

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
