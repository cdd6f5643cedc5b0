import { displacedError, mayTake, type TakeFrom } from "../../port/index.js";

/**
 * How one try of a conditional write ended: written, or the key was not as the condition said.
 * Then `holder` is the lease or session that holds it now, when another does, and `take` what makes
 * the next try replace it (absent when the next try's condition replaces it by itself).
 */
export type WriteTry<A> =
  | { readonly written: A }
  | { readonly changed: true; readonly holder?: string; readonly take?: () => Promise<void> };

/** A write of `key` under a lease that must never clobber a value it did not see. */
export interface ConditionalWrite<A> {
  readonly key: string;
  /** Whose value a first write may replace. */
  readonly takeFrom: TakeFrom;
  /** Whether this lease wrote the key before: one taken from it since is never taken back. */
  readonly wroteBefore: boolean;
  /** How many tries before the write gives up. */
  readonly maxTries: number;
  /** Writes on the condition that the key is as last seen; when it is not, reads who holds it. */
  tryWrite(): Promise<WriteTry<A>>;
  /** The key this lease wrote is another's now. */
  displaced(holder: string): void;
  /** Why the write gave up, after `maxTries` tries that found the key changed. */
  gaveUp(): Error;
}

/**
 * The loop of read, compare, write-if-unchanged that etcd and ZooKeeper leases share: a try whose
 * condition failed is tried again against the key as it is now, a key held by another is taken only
 * when `takeFrom` allows and this lease never wrote it (docs/registration.md#takeover), and a key
 * that keeps changing makes the write give up (the registration retries it later, with backoff).
 */
export const conditionalWrite = async <A>(write: ConditionalWrite<A>): Promise<A> => {
  for (let tries = 0; tries < write.maxTries; tries++) {
    const outcome = await write.tryWrite();
    if ("written" in outcome) return outcome.written;
    const { holder, take } = outcome;
    if (holder === undefined) continue;
    if (write.wroteBefore) {
      write.displaced(holder);
      throw displacedError(write.key, holder);
    }
    if (!mayTake(write.takeFrom, holder)) throw displacedError(write.key, holder);
    await take?.();
  }
  throw write.gaveUp();
};
