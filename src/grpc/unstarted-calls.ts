import type { Picked as BalancerPick } from "../balancers/index.js";

/** How long a pick may wait for its call to start before the garbage collector watches it. */
const SWEEP_MS = 1_000;

/**
 * Picks that grpc-js let go without starting their call. grpc-js calls `onCallEnded` only for a
 * call it started: one cancelled before it started (its deadline passed while call credentials
 * were made), or whose subchannel dropped meanwhile (grpc-js then picks again), ends without a
 * word, and p2c would count it in flight for ever, shunning a healthy endpoint a little more each
 * time. When grpc-js drops such a pick result, the pick is reported as not sent.
 *
 * Why not a `FinalizationRegistry` entry for every pick: V8 keeps a registered object alive
 * through young-generation collections, so every call's pick result (and what it holds) was
 * promoted and died old, a cost per call that `round_robin` does not pay. Nearly every
 * call starts a few microtasks after its pick, so a pick is first held in a plain map, and only
 * one still waiting after a sweep or two (1–2 s: slow call credentials, or dropped) is handed to
 * the registry, weakly, for the collector to report once grpc-js drops it.
 */
export class UnstartedCalls {
  private static readonly dropped = new FinalizationRegistry<BalancerPick>((picked) =>
    picked.done({ notSent: true }),
  );
  // Two generations: a sweep hands `old` to the registry, then `young` becomes `old`.
  private young = new Map<number, { readonly picked: BalancerPick; readonly result: object }>();
  private old = new Map<number, { readonly picked: BalancerPick; readonly result: object }>();
  private next = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Watches `result`, the pick result grpc-js got for `picked`, until `started` with the id this
   * returns. (A number, not the pick, keys the map: an object key would need a hash made for it.)
   */
  picked(picked: BalancerPick, result: object): number {
    const id = this.next++;
    this.young.set(id, { picked, result });
    this.timer ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return id;
  }

  /** The call of `picked` started: grpc-js will call its `onCallEnded`. */
  started(id: number, picked: BalancerPick): void {
    if (!this.young.delete(id) && !this.old.delete(id)) UnstartedCalls.dropped.unregister(picked);
  }

  private sweep(): void {
    for (const { picked, result } of this.old.values())
      UnstartedCalls.dropped.register(result, picked, picked);
    this.old = this.young;
    this.young = new Map();
    // Ids stay small integers, cheap map keys; no id lives longer than two sweeps.
    if (this.next > 2 ** 30) this.next = 0;
    if (this.old.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
