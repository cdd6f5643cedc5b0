/**
 * Scenario 3, the consumer side: one consumer of an app with 10,000 instances while the bench
 * (another process, another client) changes, deletes and re-adds instances one put at a time.
 * The bench asks for the revision to wait for; this process reports its own CPU time between
 * the end of the warm-up and the moment its consumer has applied the last event.
 *
 * - raw-map: a hand-written consumer on an `etcd3` watcher: range, then a Map kept with
 *   `map.set(key, JSON.parse(value))` / `map.delete(key)`;
 * - rxnaming: one subscriber of `build(app).instances$` that keeps the latest set;
 * - rxnaming-read: the same subscriber also reads `info.instances.length` on every emission,
 *   which builds the flat frozen array (O(n)) once per emission;
 * - kratos: the Kratos strategy ported (./kratos-port.ts): on every watch response, a Get of the
 *   whole prefix, every value decoded. It has caught up when it has no Get pending and its last
 *   Get saw the target revision, so every response's Get is in the measured CPU.
 */
import { Etcd3, type IKeyValue } from "etcd3";
import { etcdClientOptions, etcdNaming, type InstancesInfo } from "../../src/index.js";
import { receive, send, settledHeap } from "./child-support.js";
import { KratosWatcher } from "./kratos-port.js";
import { appPrefix, cpuMs, type ChurnParams, type ChurnResult } from "./fixtures.js";

export const churn = async (p: ChurnParams): Promise<ChurnResult> => {
  const client = new Etcd3(
    p.variant === "raw-map" || p.variant === "kratos"
      ? { hosts: [p.endpoint] }
      : etcdClientOptions({ hosts: [p.endpoint] }),
  );
  let applied = 0;
  let events = 0;
  let emissions = 0;
  let target = Infinity;
  let reached: (() => void) | undefined;
  const check = (revision: number): void => {
    applied = revision;
    if (applied >= target) reached?.();
  };
  let teardown: () => Promise<void>;

  if (p.variant === "raw-map") {
    const map = new Map<string, unknown>();
    const res = await client.getAll().prefix(appPrefix(p.app)).exec();
    for (const kv of res.kvs) map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
    if (map.size !== p.instances) throw new Error(`raw read ${map.size} instances`);
    const watcher = await client
      .watch()
      .prefix(appPrefix(p.app))
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    watcher
      .on("put", (kv: IKeyValue) => {
        map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
        events++;
        check(Number(kv.mod_revision));
      })
      .on("delete", (kv: IKeyValue) => {
        map.delete(kv.key.toString());
        events++;
        check(Number(kv.mod_revision));
      });
    teardown = () => watcher.cancel();
  } else if (p.variant === "kratos") {
    let failure: unknown;
    const first = new Promise<void>((resolve) => (reached = resolve));
    target = 0;
    const w = await KratosWatcher.start(
      client,
      appPrefix(p.app),
      (k) => {
        // One event per watch response here (one put or delete at a time): a Get is an event.
        events++;
        if (k.pending === 0) check(k.revision);
      },
      (e) => (failure ??= e),
    );
    await first;
    if (w.latest.length !== p.instances) throw new Error(`kratos read ${w.latest.length} instances`);
    events = 0;
    teardown = async () => {
      await w.cancel();
      if (failure !== undefined) throw failure;
    };
  } else {
    const naming = etcdNaming(client, { lingerMs: 0 });
    const read = p.variant === "rxnaming-read";
    let latest: InstancesInfo | undefined;
    let length = 0;
    const first = new Promise<void>((resolve) => (reached = resolve));
    target = 0;
    const sub = naming.build(p.app).instances$.subscribe((info) => {
      latest = info;
      emissions++;
      if (read) length = info.instances.length;
      check(Number(info.revision));
    });
    await first;
    if (latest?.instances.length !== p.instances) throw new Error("first set incomplete");
    events = 0;
    emissions = 0;
    teardown = async () => {
      sub.unsubscribe();
      await naming.close();
      if (read && length === 0) throw new Error("never read");
    };
  }

  // Garbage of the initial load collected before anything is measured.
  await settledHeap();
  await send({ type: "ready" });
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  let events0 = 0;
  let emissions0 = 0;
  for (;;) {
    const m = await receive();
    if (m.type !== "until") continue;
    target = m.revision;
    if (applied < target) await new Promise<void>((resolve) => (reached = resolve));
    reached = undefined;
    if (!m.measure) {
      // Warm-up done: the measured part starts now.
      await send({ type: "seen", revision: applied });
      c0 = process.cpuUsage();
      t0 = performance.now();
      events0 = events;
      emissions0 = emissions;
      continue;
    }
    const cpu = cpuMs(c0);
    const wallMs = performance.now() - t0;
    await teardown();
    client.close();
    return {
      variant: p.variant,
      events: events - events0,
      emissions:
        p.variant === "raw-map" || p.variant === "kratos" ? events - events0 : emissions - emissions0,
      cpuMs: cpu,
      wallMs,
    };
  }
};
