import type { Observable } from "rxjs";
import type { Instance } from "../index.js";

/** A lease's remaining and granted time to live, as the backend answered at `at` (epoch ms). */
export interface LeaseTtl {
  /** Seconds left, as etcd answered. */
  readonly remainingSeconds: number;
  /** The TTL the lease was granted with. */
  readonly grantedSeconds: number;
  /** Epoch ms of the answer: the page counts down from here. */
  readonly at: number;
}

/** What a write may change of an instance: its weight (`metadata.weight`) and its status. */
export interface InstanceEdit {
  /** A new `metadata.weight`. */
  readonly weight?: string;
  /** A new status (2 drains the instance). */
  readonly status?: number;
}

/**
 * What the console learns from a backend beside a naming's watches: which apps exist under the
 * prefix, each instance's lease, and how to rewrite an instance. A naming watches only the apps it
 * is asked for, so this is how the console finds the others (see docs/console.md#apps).
 */
export interface Fleet {
  /** The apps that have keys now; emits the whole list whenever it changes. */
  readonly apps$: Observable<readonly string[]>;
  /** The lease of an instance, or undefined when it has none (or the backend has no leases). */
  leaseTtl?(appId: string, hostname: string): Promise<LeaseTtl | undefined>;
  /** Rewrites an instance's stored value in place, keeping its lease; rejects when it is gone. */
  write?(appId: string, hostname: string, change: (instance: Instance) => Instance): Promise<void>;
  /** Stops watching; the console calls it on close. */
  close?(): void;
}
