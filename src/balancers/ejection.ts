import { functionOption, invalidOption, numberOption, optionsRecord, type Instance } from "../model/index.js";

/** An instance left out by passive ejection. */
export interface EjectedEvent {
  /** What happened. */
  readonly type: "ejected";
  /** The instance left out. */
  readonly instance: Instance;
  /** For how long. */
  readonly forMs: number;
}

/** An instance back from passive ejection. */
export interface ReturnedEvent {
  /** What happened. */
  readonly type: "returned";
  /** The instance back in the set. */
  readonly instance: Instance;
}

/** An instance left out by passive ejection, or back from it. */
export type EjectionEvent = EjectedEvent | ReturnedEvent;

/**
 * Passive ejection (outlier detection from the requests themselves, as Envoy's and gRPC's
 * `outlier_detection`): an instance whose requests fail is left out of the picker for a while.
 * See docs/traffic-safety.md.
 */
export interface EjectionOptions {
  /** Eject after this many failures in a row, default 5; 0 turns the rule off. */
  readonly consecutiveFailures?: number;
  /**
   * Eject when at least `minRequests` requests ended within `windowMs` and at least `threshold`
   * (0..1) of them failed. Default `{ threshold: 0.85, minRequests: 50, windowMs: 10_000 }`;
   * `false` turns the rule off.
   */
  readonly failureRate?: FailureRateOptions | false;
  /** How long a first ejection lasts, default 30 s; the n-th in a row lasts n times as long. */
  readonly baseEjectionMs?: number;
  /** The longest an ejection lasts, default 300 s (at least `baseEjectionMs`). */
  readonly maxEjectionMs?: number;
  /**
   * At most this share of the set (percent) is ejected at once, default 10; above 0, one instance
   * may always be ejected, but never the last one left.
   */
  readonly maxEjectedPercent?: number;
  /** Told of every ejection and return (for logs, metrics and consoles). */
  readonly onEvent?: (event: EjectionEvent) => void;
}

/** The failure-rate rule of {@link EjectionOptions}. */
export interface FailureRateOptions {
  /** The share of failed requests (0..1) that ejects, default 0.85. */
  readonly threshold?: number;
  /** Requests needed in a window before the rate counts, default 50. */
  readonly minRequests?: number;
  /** The window, default 10 s. */
  readonly windowMs?: number;
}

/** Ejection rules with every default filled in. */
export interface EjectionRules {
  readonly consecutiveFailures: number;
  readonly failureRate: Required<FailureRateOptions> | undefined;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectedPercent: number;
  readonly onEvent?: ((event: EjectionEvent) => void) | undefined;
}

export const DEFAULT_EJECTION: EjectionRules = Object.freeze({
  consecutiveFailures: 5,
  failureRate: Object.freeze({ threshold: 0.85, minRequests: 50, windowMs: 10_000 }),
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectedPercent: 10,
});

const EJECTION_KEYS = [
  "consecutiveFailures",
  "failureRate",
  "baseEjectionMs",
  "maxEjectionMs",
  "maxEjectedPercent",
  "onEvent",
] as const;
const RATE_KEYS = ["threshold", "minRequests", "windowMs"] as const;

/** A day: longer times are a mistake in units rather than a wish. */
const MAX_MS = 86_400_000;

/** `owner`'s ejection option read into rules: `undefined` is the defaults, `false` is off. */
export const ejectionRules = (owner: string, value: unknown): EjectionRules | undefined => {
  if (value === false) return undefined;
  if (value === true) return DEFAULT_EJECTION;
  const name = `${owner} ejection`;
  const o = optionsRecord(`${name} options`, value, EJECTION_KEYS, name);
  const d = DEFAULT_EJECTION;
  const rate = o["failureRate"];
  let failureRate: Required<FailureRateOptions> | undefined;
  if (rate !== false) {
    const r = optionsRecord(`${name}.failureRate options`, rate, RATE_KEYS, `${name}.failureRate`);
    const dr = d.failureRate!;
    failureRate = {
      threshold: numberOption(
        `${name}.failureRate.threshold`,
        r["threshold"],
        {
          min: 0,
          minExclusive: true,
          max: 1,
        },
        dr.threshold,
      ),
      minRequests: numberOption(
        `${name}.failureRate.minRequests`,
        r["minRequests"],
        {
          min: 1,
          max: 1e9,
          integer: true,
        },
        dr.minRequests,
      ),
      windowMs: numberOption(
        `${name}.failureRate.windowMs`,
        r["windowMs"],
        {
          min: 1,
          max: MAX_MS,
        },
        dr.windowMs,
      ),
    };
  }
  const baseEjectionMs = numberOption(
    `${name}.baseEjectionMs`,
    o["baseEjectionMs"],
    {
      min: 1,
      max: MAX_MS,
    },
    d.baseEjectionMs,
  );
  const maxEjectionMs = numberOption(
    `${name}.maxEjectionMs`,
    o["maxEjectionMs"],
    {
      min: 1,
      max: MAX_MS,
    },
    d.maxEjectionMs,
  );
  if (maxEjectionMs < baseEjectionMs && o["maxEjectionMs"] !== undefined) {
    throw invalidOption(`${name}.maxEjectionMs`, `must be at least baseEjectionMs (${baseEjectionMs})`);
  }
  return {
    consecutiveFailures: numberOption(
      `${name}.consecutiveFailures`,
      o["consecutiveFailures"],
      { min: 0, max: 1e9, integer: true },
      d.consecutiveFailures,
    ),
    failureRate,
    baseEjectionMs,
    maxEjectionMs: Math.max(maxEjectionMs, baseEjectionMs),
    maxEjectedPercent: numberOption(
      `${name}.maxEjectedPercent`,
      o["maxEjectedPercent"],
      { min: 0, max: 100 },
      d.maxEjectedPercent,
    ),
    onEvent: functionOption<(event: EjectionEvent) => void>(`${name}.onEvent`, o["onEvent"]),
  };
};

/**
 * What ejection learns about one hostname from the requests that ended: failures in a row, the
 * current window, and how often it was ejected lately. Survives list updates in which the hostname
 * stays.
 */
export class Outcomes {
  private consecutive = 0;
  private windowStart = -Infinity;
  private requests = 0;
  private failures = 0;
  /** Ejections lately: the next one lasts this many + 1 base times. */
  private ejections = 0;
  private returnedAt = -Infinity;

  constructor(private readonly rules: EjectionRules) {}

  /** Counts a request that succeeded. No clock read: this is every request's path. */
  succeeded(): void {
    this.consecutive = 0;
    this.requests++;
  }

  /**
   * Counts a request that failed at `now`; true when the rules say eject. The rules are checked
   * here only, and a window is rolled here only: a window that ended begins again with this
   * failure, so that a success costs no clock read.
   */
  failed(now: number): boolean {
    const rules = this.rules;
    this.consecutive++;
    const rate = rules.failureRate;
    if (rate !== undefined) {
      if (now - this.windowStart >= rate.windowMs) {
        this.windowStart = now;
        this.requests = 0;
        this.failures = 0;
      }
      this.requests++;
      this.failures++;
      if (this.requests >= rate.minRequests && this.failures >= rate.threshold * this.requests) return true;
    }
    return rules.consecutiveFailures > 0 && this.consecutive >= rules.consecutiveFailures;
  }

  /**
   * Starts an ejection at `now`; returns how long it lasts. Each base time spent back in the set
   * since the last return forgives one earlier ejection (as gRPC's multiplier does).
   */
  eject(now: number): number {
    const { baseEjectionMs, maxEjectionMs } = this.rules;
    const forgiven = Math.floor((now - this.returnedAt) / baseEjectionMs);
    this.ejections = Math.max(0, this.ejections - forgiven) + 1;
    this.reset();
    return Math.min(baseEjectionMs * this.ejections, maxEjectionMs);
  }

  /** Back in the set at `now`, with a clean record. */
  returned(now: number): void {
    this.returnedAt = now;
    this.reset();
  }

  private reset(): void {
    this.consecutive = 0;
    this.windowStart = -Infinity;
    this.requests = 0;
    this.failures = 0;
  }
}

/** How many of `size` instances may be ejected at once: the percentage, at least one, never all. */
export const maxEjected = (rules: EjectionRules, size: number): number =>
  rules.maxEjectedPercent === 0
    ? 0
    : Math.min(size - 1, Math.max(1, Math.floor((size * rules.maxEjectedPercent) / 100)));
