/**
 * Helpers for testing code that uses rxnaming, in virtual time: `rxnaming/testing`.
 *
 * @example
 * const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
 * scheduler.run(({ expectObservable }) => {
 *   const { naming, store } = testNaming(scheduler);
 *   store.put("/kratos_etcd/demo/host-1", JSON.stringify({ appid: "demo", hostname: "host-1" }));
 *   expectObservable(naming.build("demo").instances$.pipe(map((i) => i.instances.length)), "^-!").toBe("a", { a: 1 });
 * });
 *
 * @packageDocumentation
 * @module rxnaming/testing
 */
import type { SchedulerLike } from "rxjs";
import { MemoryLink, MemoryStore, memoryNaming, type MemoryNamingOptions } from "../memory-naming.js";
import { instance, type Instance, type InstanceInput } from "../model/index.js";
import type { Naming } from "../naming.js";

export {
  MemoryStore,
  MemoryLink,
  type KeyHolder,
  type KeyTaken,
  type MemoryStoreOptions,
  type RangeResult,
  type KeyChange,
  type KeyDelete,
  type KeyPut,
  type KeyValue,
} from "../memory-naming.js";
// What to write into a store by hand (the value a Kratos v1 service stores for an instance), and
// an `InstancesInfo` to feed an operator or a balancer under test.
export { encodeInstance, instancesInfo } from "../model/index.js";

/** What {@link testNaming} hands a test. */
export interface TestNaming {
  /** The naming under test. */
  readonly naming: Naming;
  /** Its store: write keys, compact, revoke leases, make it unavailable. */
  readonly store: MemoryStore;
  /** Its line to the store: `cut()` partitions it (its leases run down), `restore()` heals it. */
  readonly link: MemoryLink;
}

/** A memory naming on a fresh store, with the store and the naming's link for the test to drive. */
export const testNaming = (
  scheduler: SchedulerLike,
  options: Omit<MemoryNamingOptions, "scheduler" | "store" | "link"> & { store?: MemoryStore } = {},
): TestNaming => {
  const store = options.store ?? new MemoryStore({ scheduler });
  const link = new MemoryLink();
  return { naming: memoryNaming({ ...options, store, link }), store, link };
};

/** A valid instance from a few fields, or a thrown NamingError: for fixtures. */
export const testInstance = (partial: InstanceInput): Instance => {
  const result = instance(partial);
  if (result._tag === "Left") throw result.left;
  return result.right;
};
