/**
 * Checks of the options a caller passes: one small set of functions that namings, operators and
 * balancers share, so that every wrong option reads the same way. Each throws an `InvalidOption`
 * {@link NamingError} naming the option; none lets a `TypeError` out, whatever it is given
 * (`null`, a string where a record belongs, a misspelled key).
 *
 * @example
 * const o = optionsRecord("memoryNaming options", input, ["ttlSeconds", "lingerMs"]);
 * const ttl = numberOption("ttlSeconds", o["ttlSeconds"], { integer: true, min: 1 });
 * // optionsRecord(..., { ttl: 5 }, ...) throws:
 * //   invalid option: ttl is not an option of memoryNaming options (did you mean "ttlSeconds"?)
 */
import { invalidOption } from "./naming-error.js";
import { quoted } from "./validate.js";

/** What a value is, in words, for "must be X, got Y". */
export const describeType = (u: unknown): string => {
  if (u === null) return "null";
  if (Array.isArray(u)) return "an array";
  if (typeof u === "string") return `a string (${quoted(u, 40)})`;
  if (typeof u === "number") return `the number ${String(u)}`;
  if (typeof u === "object") return "an object";
  return typeof u === "undefined" ? "undefined" : `a ${typeof u}`;
};

/**
 * The options record `options` as given, or `{}` for `undefined`: anything else but a plain
 * object is an `InvalidOption` for `what`, and so is a key not in `known`, named with the known
 * key closest to it. `owner`, when given, prefixes the key in the error's field (`"p2c decayMS"`),
 * for callers whose options are all named that way.
 */
export const optionsRecord = <T extends object = Readonly<Record<string, unknown>>>(
  what: string,
  options: unknown,
  known: readonly string[],
  owner?: string,
): Partial<T> => {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidOption(what, `must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw unknownOption(what, key, known, owner);
  }
  return options as Partial<T>;
};

/**
 * The `InvalidOption` for an unknown `key` (prefixed by `owner` when given), with the closest
 * known name as a suggestion, or the known names when none is close.
 */
export const unknownOption = (what: string, key: string, known: readonly string[], owner?: string) => {
  const near = closestName(key, known);
  const hint = near === undefined ? ` (known: ${known.join(", ")})` : ` (did you mean "${near}"?)`;
  const name = quoted(key, 40).slice(1, -1);
  return invalidOption(owner === undefined ? name : `${owner} ${name}`, `is not an option of ${what}${hint}`);
};

/**
 * The known name closest to `name`: one that starts with it or it with one ("ttl" for
 * "ttlSeconds"), equal but for case, or within a third of its length in edits; undefined when
 * none is near.
 */
export const closestName = (name: string, known: readonly string[]): string | undefined => {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    const score =
      kl === lower
        ? 0
        : lower.length >= 2 && (kl.startsWith(lower) || lower.startsWith(kl))
          ? 1
          : 1 + editDistance(lower, kl);
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return bestScore <= 1 + Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
};

/** Levenshtein distance; names are short. */
const editDistance = (a: string, b: string): number => {
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
};

/** Bounds of a number option. */
export interface NumberRule {
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** The least allowed value. */
  readonly min?: number;
  /** `min` itself is not allowed: the value must be above it. */
  readonly minExclusive?: boolean;
  /** The greatest allowed value. */
  readonly max?: number;
  /** How the unit reads in messages: " ms", " seconds". */
  readonly unit?: string;
}

/** A number option: `undefined` when not given, the number when it fits `rule`, else `InvalidOption`. */
export function numberOption(name: string, value: unknown, rule?: NumberRule): number | undefined;
/** A number option with a default. */
export function numberOption(name: string, value: unknown, rule: NumberRule, fallback: number): number;
export function numberOption(
  name: string,
  value: unknown,
  rule: NumberRule = {},
  fallback?: number,
): number | undefined {
  if (value === undefined) return fallback;
  const unit = rule.unit ?? "";
  const kind = rule.integer === true ? "a whole number" : "a number";
  const above = rule.minExclusive === true;
  const range =
    rule.min !== undefined && rule.max !== undefined
      ? above
        ? ` > ${rule.min} and <= ${rule.max}${unit}`
        : ` from ${rule.min} to ${rule.max}${unit}`
      : rule.min !== undefined
        ? ` ${above ? ">" : ">="} ${rule.min}${unit}`
        : rule.max !== undefined
          ? ` <= ${rule.max}${unit}`
          : "";
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (rule.integer !== true || Number.isInteger(value)) &&
    (rule.min === undefined || (above ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw invalidOption(name, `must be ${kind}${range}, got ${describeType(value)}`);
  return value;
}

/** A string option: `undefined` when not given (unless `required`); `nonEmpty` refuses "". */
export const stringOption = (
  name: string,
  value: unknown,
  rule: { readonly nonEmpty?: boolean; readonly required?: boolean } = {},
): string | undefined => {
  if (value === undefined && rule.required !== true) return undefined;
  if (typeof value !== "string" || (rule.nonEmpty === true && value === "")) {
    const kind = rule.nonEmpty === true ? "a non-empty string" : "a string";
    throw invalidOption(name, `must be ${kind}, got ${describeType(value)}`);
  }
  return value;
};

/** A boolean option: `undefined` when not given. */
export const booleanOption = (name: string, value: unknown): boolean | undefined => {
  if (value === undefined || typeof value === "boolean") return value;
  throw invalidOption(name, `must be true or false, got ${describeType(value)}`);
};

/** A function option (a predicate, a clock): `undefined` when not given. */
export const functionOption = <F extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
): F | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== "function")
    throw invalidOption(name, `must be a function, got ${describeType(value)}`);
  return value as F;
};

/** One of a few strings: `undefined` when not given. */
export const oneOfOption = <T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(
      name,
      `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describeType(value)}`,
    );
  }
  return value as T;
};

/** An object option with the given methods (a scheduler, a store): `undefined` when not given. */
export const objectOption = (
  name: string,
  value: unknown,
  kind: string,
  methods: readonly string[],
): void => {
  if (value === undefined) return;
  const ok =
    typeof value === "object" &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");
  if (!ok) throw invalidOption(name, `must be ${kind}, got ${describeType(value)}`);
};

/**
 * A record of number options (`{ initialMs, maxMs }`): `undefined` when not given; each listed key
 * checked with `rule`, named `<name>.<key>`, and no other key.
 */
export const numbersRecord = (
  name: string,
  value: unknown,
  keys: readonly string[],
  rule: NumberRule,
): void => {
  const record = optionsRecord(name, value, keys);
  for (const key of keys) numberOption(`${name}.${key}`, record[key], rule);
};
