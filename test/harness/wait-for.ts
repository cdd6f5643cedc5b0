export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Poll this often (default 50 ms). */
  readonly intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  readonly message?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets a fault (an outage, a partition, a paused member) or a steady load last `ms`. The duration is
 * the scenario under test, not synchronisation: to wait for something to happen, use `waitFor`.
 */
export const holdFor = (ms: number): Promise<void> => sleep(Math.max(0, ms));

/**
 * Polls `predicate` until it returns a truthy value, and resolves with that value. A predicate that
 * throws counts as "not yet" (etcd that is still starting throws), and its last error is part of
 * the timeout message so a failing test says why rather than only "timed out".
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 5000, intervalMs = 50, message = "condition" } = options;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const why =
        lastError !== undefined
          ? `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
          : `last value: ${describe(lastValue)}`;
      throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms (${why})`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
