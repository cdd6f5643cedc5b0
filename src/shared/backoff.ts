/** Capped exponential backoff: the first delay and the cap, in ms. */
export interface BackoffOptions {
  /** The first delay, in ms. Default 100. */
  readonly initialMs?: number;
  /**
   * The cap, in ms. Default 1,000: a registration whose lease was lost must be back within a
   * second or two of the backend returning, and jitter already spreads a crowd of clients.
   */
  readonly maxMs?: number;
}

/**
 * Capped exponential backoff with "equal jitter": attempt n (from 1) waits a random time in
 * [d/2, d] with d = min(max, initial * 2^(n-1)). Jitter keeps a thousand clients that lost etcd
 * together from coming back in lock-step; the lower bound of d/2 keeps a retry from firing at once
 * in a loop, as a naive "on lost, re-grant" does (docs/etcd.md#slow-default-backoff).
 */
export const backoffDelay =
  ({ initialMs = 100, maxMs = 1_000 }: BackoffOptions = {}, random: () => number = Math.random) =>
  (attempt: number): number => {
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };
