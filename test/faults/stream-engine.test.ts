// The shared streams' life (break, report, re-make), each seen against a real etcd behind a TCP
// proxy that breaks the connection.
import { afterEach, describe, expect, it } from "vitest";
import { startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import {
  ErrorLog,
  EtcdWorld,
  freshApp,
  inst,
  openStreams,
  putInstance,
  Recorder,
  RegistrationLog,
} from "./support.js";

useHarnessCleanup();

const startedWatchStreams = async (member: { metrics(): Promise<Map<string, number>> }): Promise<number> => {
  let sum = 0;
  for (const [key, value] of await member.metrics())
    if (key.startsWith("grpc_server_started_total{") && key.includes('grpc_method="Watch"')) sum += value;
  return sum;
};

describe("the shared streams", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("a break of the watch stream is reported once on errors$, however many apps ride on it", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const naming = world.naming({}, world.client({ hosts: [proxy.endpoint] }));
    const errors = new ErrorLog(naming);
    const apps = Array.from({ length: 5 }, () => freshApp("once"));
    const recorders = apps.map((app) => new Recorder(naming.build(app).instances$));
    for (const r of recorders) await r.until(() => true);
    const cutAt = Date.now();
    proxy.cut({ mode: "reset" });
    const acceptedAtCut = proxy.accepted;
    await errors.first(cutAt, (e) => /watch stream/.test(e.message), 5_000, "the break reported");
    await waitFor(() => proxy.accepted >= acceptedAtCut + 3, {
      timeoutMs: 10_000,
      message: "several reconnect attempts while cut",
    });
    proxy.restore();
    await putInstance(world.admin, apps[0]!, "h1", "v1");
    await recorders[0]!.until((h) => h.includes("h1"), 5_000, "the watch back");
    const reports = errors.since(cutAt).filter((e) => /watch stream/.test(e.message));
    expect(reports.map((e) => e.message)).toHaveLength(1);
  });

  it("a keep-alive stream failure reaches errors$ even when no lease is lost", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const naming = world.naming({ ttlSeconds: 6 }, world.client({ hosts: [proxy.endpoint] }));
    const errors = new ErrorLog(naming);
    const app = freshApp("ka-fault");
    const { events, sub } = new RegistrationLog(naming.register(inst(app, "h1")));
    try {
      await waitFor(() => events.some((e) => e.type === "registered"), { message: "registered" });
      const cutAt = Date.now();
      proxy.cut({ mode: "reset" });
      await errors.first(
        cutAt,
        (e) => /keep-alive stream/.test(e.message),
        5_000,
        "keep-alive fault on errors$",
      );
      proxy.restore();
      // A keep-alive renewed the lease after the restore: had the fault cost it, the renewal would not count.
      const renewalsAtRestore = await etcd.leaseRenewals();
      await waitFor(async () => (await etcd.leaseRenewals()) > renewalsAtRestore, {
        timeoutMs: 6_000,
        message: "a keep-alive after the restore",
      });
      expect(events.map((e) => e.type)).toEqual(["registered"]);
    } finally {
      sub.unsubscribe();
    }
  });

  it("a single-host client re-makes a broken watch with one stream, not a burst of opened-and-cancelled ones", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const naming = world.naming({}, world.client({ hosts: [proxy.endpoint] }));
    const app = freshApp("single");
    const recorder = new Recorder(naming.build(app).instances$);
    await recorder.until(() => true);
    await waitFor(async () => (await openStreams(etcd, "Watch")) === 1, { message: "one watch stream" });
    const before = await startedWatchStreams(etcd);
    const acceptedAtCut = proxy.accepted;
    proxy.cut({ mode: "reset" });
    await waitFor(() => proxy.accepted > acceptedAtCut, { message: "a reconnect refused while cut" });
    proxy.restore();
    await putInstance(world.admin, app, "h1", "v1");
    await recorder.until((h) => h.includes("h1"), 5_000, "the watch back");
    // Streams opened and cancelled on the way are handled by now: one stays open.
    await waitFor(async () => (await openStreams(etcd, "Watch")) === 1, {
      message: "one watch stream again",
    });
    // The member saw exactly one new watch stream: the one that carries the watch again.
    expect((await startedWatchStreams(etcd)) - before).toBe(1);
    expect(await openStreams(etcd, "Watch")).toBe(1);
  });
});
