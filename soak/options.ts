// Command-line options of `npm run soak -- [--minutes M] [--seed S] ...`.

export interface SoakOptions {
  /** How long faults are injected; the final checks and cleanup come after. */
  readonly minutes: number;
  readonly seed: number;
  readonly workers: number;
  /** Registrations each worker holds at once. */
  readonly registrations: number;
  readonly ttlSeconds: number;
  /** Seconds between quiet points (default: a quarter of the run, 20 to 60 s). */
  readonly quietEverySeconds: number;
}

const USAGE =
  "usage: npm run soak -- [--minutes 5] [--seed N] [--workers 4] [--registrations 3] [--ttl 6] [--quiet-every S]";

/** Parses argv; a bad argument throws an Error whose message is fit for stderr. */
export const parseOptions = (argv: readonly string[]): SoakOptions => {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value\n${USAGE}`);
    values.set(m[1]!, value);
  }
  const known = ["minutes", "seed", "workers", "registrations", "ttl", "quiet-every"];
  for (const k of values.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const num = (name: string, fallback: number, min: number, max: number, integer = true): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max)
      throw new Error(
        `--${name} must be ${integer ? "a whole number" : "a number"} in [${min}, ${max}], got "${raw}"`,
      );
    return n;
  };
  const minutes = num("minutes", 5, 0.25, 24 * 60, false);
  const quietDefault = Math.min(60, Math.max(20, (minutes * 60) / 4));
  return {
    minutes,
    seed: num("seed", Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1),
    workers: num("workers", 4, 1, 16),
    registrations: num("registrations", 3, 1, 50),
    ttlSeconds: num("ttl", 6, 3, 60),
    quietEverySeconds: num("quiet-every", quietDefault, 5, 3600, false),
  };
};
