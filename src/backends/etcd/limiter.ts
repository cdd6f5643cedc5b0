/**
 * At most `limit` tasks running at once; the others wait their turn in order. A task's own
 * deadline should start inside it, when it runs, not when it was queued.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `task` when a place is free; settles as it does. */
  async run<A>(task: () => Promise<A>): Promise<A> {
    // A finishing task hands its place straight to the next in line, so none can slip in between.
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}
