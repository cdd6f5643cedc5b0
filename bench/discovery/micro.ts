/**
 * In process, no etcd: the cost of applying one watch event to a set of 10,000 instances, for
 * the hand-written Map consumer (`map.set(key, JSON.parse(value))` / `map.delete(key)`) and for
 * rxnaming's `AppSet` (decode, validation, chunked persistent list, one frozen `InstancesInfo` per
 * batch), with and without building the flat array. This is the consumer's share of the churn
 * scenario without gRPC decoding.
 */
import { AppSet } from "../../src/core/app-set.js";
import type { KeyChange } from "../../src/port/index.js";
import { keyOf, valueOf } from "./fixtures.js";
import { kratosV1Layout } from "../../src/backends/layouts/index.js";

const APP = "bench.micro";

/** One event each: an update, a delete, the re-add of what was deleted; over and over. */
export const churnEvents = (instances: number, events: number): KeyChange[] => {
  const out: KeyChange[] = [];
  let revision = 1_000_000;
  for (let j = 0; out.length < events; j++) {
    const a = (j * 7_919) % instances;
    const b = (j * 104_729 + 1) % instances;
    out.push({
      type: "put",
      key: keyOf(APP, a),
      value: valueOf(APP, a, `v${j}`),
      revision: String(revision++),
    });
    if (b === a) continue;
    out.push({ type: "delete", key: keyOf(APP, b), revision: String(revision++) });
    out.push({
      type: "put",
      key: keyOf(APP, b),
      value: valueOf(APP, b, `r${j}`),
      revision: String(revision++),
    });
  }
  return out.slice(0, events);
};

export const initialEntries = (instances: number): { key: string; value: string }[] =>
  Array.from({ length: instances }, (_, k) => ({ key: keyOf(APP, k), value: valueOf(APP, k) }));

/** A Map consumer loaded with the initial set; `apply` applies one event. */
export const mapConsumer = (instances: number): ((e: KeyChange) => void) => {
  const map = new Map<string, unknown>();
  for (const { key, value } of initialEntries(instances)) map.set(key, JSON.parse(value));
  return (e) => {
    if (e.type === "put") map.set(e.key, JSON.parse(e.value));
    else map.delete(e.key);
  };
};

/** Where reads go, so that they are not optimised away. */
export const sink = { value: 0 };

/** An AppSet loaded with the initial set; `apply` applies one event as one batch. */
export const appSetConsumer = (instances: number, read: boolean): ((e: KeyChange) => void) => {
  const set = new AppSet(APP, kratosV1Layout(), (error) => {
    throw error;
  });
  set.applySnapshot("999999", initialEntries(instances));
  // Own revisions, always rising, so that a caller may cycle through the same events.
  let revision = 1_000_000;
  return (e) => {
    const r = String(revision++);
    const info = set.applyBatch(r, [{ ...e, revision: r }]);
    if (read && info !== undefined) sink.value += info.instances.length;
  };
};

/** µs of CPU per event over `events` events, after as many again to warm up. */
export const cpuPerEvent = (apply: (e: KeyChange) => void, events: readonly KeyChange[]): number => {
  const half = events.length >> 1;
  for (let i = 0; i < half; i++) apply(events[i]!);
  const c0 = process.cpuUsage();
  for (let i = half; i < events.length; i++) apply(events[i]!);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (events.length - half);
};
