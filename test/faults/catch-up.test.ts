// A watcher (docs/etcd.md#silent-gap-on-a-large-catch-up) cut off while more than 2,500 changes happen
// catches up after the restore, also when its connection breaks again in the middle of the
// catch-up (etcd sends it in batches of 1,000): every change is applied once, none is lost.
import type { Etcd3 } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import { instanceChanges, type InstanceChanges } from "../../src/index.js";
import { holdFor, startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import {
  deleteInstance,
  ErrorLog,
  etcdState,
  EtcdWorld,
  fingerprint,
  freshApp,
  putInstance,
  Recorder,
} from "./support.js";

useHarnessCleanup();

/** Runs `op` on 0..n-1, `width` at a time (distinct keys, so order within a wave does not matter). */
const inWaves = async (n: number, width: number, op: (i: number) => Promise<void>): Promise<void> => {
  for (let start = 0; start < n; start += width) {
    await Promise.all(Array.from({ length: Math.min(width, n - start) }, (_, k) => op(start + k)));
  }
};

const host = (i: number): string => `x${String(i).padStart(4, "0")}`;

/** 2,000 puts, 500 deletes, 500 updates: 3,000 changes; 1,500 instances left, 500 of them at v2. */
const makeChanges = async (admin: Etcd3, app: string): Promise<void> => {
  await inWaves(2_000, 100, (i) => putInstance(admin, app, host(i), "v1"));
  await inWaves(500, 100, (i) => deleteInstance(admin, app, host(i)));
  await inWaves(500, 100, (i) => putInstance(admin, app, host(500 + i), "v2"));
};

describe("large catch-up after a disconnect (> 2,500 changes)", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  const scenario = async (breakDuringCatchUp: boolean): Promise<void> => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("catchup");
    const watching = world.naming({}, world.client({ hosts: [proxy.endpoint] }));
    const errors = new ErrorLog(watching);
    const resolver = watching.build(app);
    const recorder = new Recorder(resolver.instances$);
    const changes: InstanceChanges[] = [];
    const sub = resolver.instances$.pipe(instanceChanges()).subscribe((c) => changes.push(c));
    try {
      await recorder.until((h) => h.length === 0);
      proxy.cut({ mode: "reset" });
      await errors.first(0, (e) => e._tag === "Backend", 5_000, "the cut reported");
      await makeChanges(world.admin, app);
      const truth = await etcdState(world.admin, app);
      expect(truth.fingerprint).toHaveLength(1_500);

      const before = changes.length;
      proxy.restore();
      if (breakDuringCatchUp) {
        // Break the connection as soon as the first catch-up batch has arrived.
        await waitFor(() => changes.length > before, { timeoutMs: 5_000, intervalMs: 1, message: "a batch" });
        proxy.cut({ mode: "reset" });
        const breakMs = 300;
        await holdFor(breakMs);
        proxy.restore();
      }
      await waitFor(() => recorder.latest !== undefined && recorder.latest.instances.length === 1_500, {
        timeoutMs: 10_000,
        message: "1,500 instances",
      });
      // A put after the catch-up, once seen, tells that the watch has delivered everything before it.
      await putInstance(world.admin, app, "zz-after", "v1");
      await recorder.until((h) => h.includes("zz-after"), 5_000, "a put after the catch-up");
      expect(changes[changes.length - 1]!.added.map((i) => i.hostname)).toEqual(["zz-after"]);
      const after = changes.slice(before, -1);
      expect(fingerprint(after[after.length - 1]!.info)).toEqual(truth.fingerprint);
      const sum = (f: (c: InstanceChanges) => number): number => after.reduce((n, c) => n + f(c), 0);
      const added = sum((c) => c.added.length);
      const removed = sum((c) => c.removed.length);
      const updated = sum((c) => c.updated.length);
      // Applied once each, in order: 2,000 arrivals, 500 departures, 500 updates, whatever the
      // batching. (A lost batch loses arrivals or departures; a batch applied out of order or twice
      // would show other counts, since every arrival and departure is of a distinct instance.)
      expect({ added, removed, updated }).toEqual({ added: 2_000, removed: 500, updated: 500 });
      // One emission per etcd batch (1,000 events each), none per event.
      expect(after.length).toBeGreaterThanOrEqual(3);
      expect(after.length).toBeLessThanOrEqual(breakDuringCatchUp ? 8 : 6);
      expect(recorder.errors).toEqual([]);
      expect(errors.errors.filter((e) => e._tag === "Decode")).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  };

  it("applies every change once after the restore", async () => {
    await scenario(false);
  });

  it("applies every change once when the connection breaks again between catch-up batches", async () => {
    await scenario(true);
  });
});
