// Sessions that end while the naming lives (docs/zookeeper.md#expiry-is-reported-late): the registration
// says `lost`, then `registered` on a new session, and a consumer on another client sees the
// instance go and come back; nothing errors.
import { afterEach, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { ErrorLog, Recorder } from "../faults/support.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { startProxy, startZooKeeper, useHarnessCleanup, waitFor, type CutMode } from "../harness/index.js";
import { EventLog, ZkWorld } from "./support.js";

useHarnessCleanup();

/** The session timeout of these tests: the server's minimum is 1 s (tickTime 500 ms x 2). */
const T = 2_000;

describe("ZooKeeper sessions", () => {
  let world: ZkWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  const cutScenario = async (mode: CutMode) => {
    const zk = await startZooKeeper();
    const proxy = await startProxy(zk);
    world = new ZkWorld(() => zk.hostPort);
    const app = freshApp("session");
    const key = `/kratos_etcd/${app}/h1`;
    const registering = world.naming({ servers: proxy.hostPort, sessionTimeoutMs: T });
    const errors = new ErrorLog(registering);
    const consumer = new Recorder(world.naming().build(app).instances$); // another client, direct
    const log = new EventLog(registering.register(inst(app, "h1")));

    const first = await log.nth("registered", 1, 10_000);
    await consumer.until((h) => h.includes("h1"), 5_000, "consumer sees h1");
    const firstSession = (first.event as { leaseId: string }).leaseId;
    expect((await world.admin.stat(key))?.ephemeralOwner.readBigUInt64BE(0)).toBe(BigInt(firstSession));

    const cutAt = Date.now();
    proxy.cut({ mode });
    // The server expires the session once it has heard nothing for T: its node goes.
    await consumer.until((h) => !h.includes("h1"), 3 * T, "consumer sees h1 go");
    const lost = await log.nth("lost", 1, 3 * T);
    const noticedAfter = lost.at - cutAt;
    proxy.restore();
    const again = await log.nth("registered", 2, 3 * T);
    await consumer.until((h) => h.includes("h1"), 5_000, "consumer sees h1 again");
    const secondSession = (again.event as { leaseId: string }).leaseId;

    expect(log.types()).toEqual(["registered", "lost", "registered"]);
    expect(log.errors).toEqual([]);
    expect(secondSession).not.toBe(firstSession);
    expect((await world.admin.stat(key))?.ephemeralOwner.readBigUInt64BE(0)).toBe(BigInt(secondSession));
    expect(errors.errors.some((e) => e._tag === "Backend" && /session/.test(e.message))).toBe(true);
    return { noticedAfter };
  };

  it("a cut longer than the session timeout (connections reset): lost, then registered on a new session", async () => {
    const { noticedAfter } = await cutScenario("reset");
    // Disconnected for 1.5 x T counts as expired (the client itself would only learn on reconnect).
    expect(noticedAfter).toBeLessThan(2 * T + 500);
  });

  it("a silent connection (blackhole) is noticed within 2 x the session timeout", async () => {
    const { noticedAfter } = await cutScenario("blackhole");
    expect(noticedAfter).toBeLessThan(2 * T);
  });

  it("a server restarted with an empty data dir (the old session unknown): lost, then registered", async () => {
    const zk = await startZooKeeper();
    world = new ZkWorld(() => zk.hostPort);
    const app = freshApp("wiped");
    const registering = world.naming({ sessionTimeoutMs: T });
    const consumer = new Recorder(world.naming({ sessionTimeoutMs: T }).build(app).instances$);
    const log = new EventLog(registering.register(inst(app, "h1")));
    await log.nth("registered", 1, 10_000);
    await consumer.until((h) => h.includes("h1"), 5_000, "consumer sees h1");

    await zk.kill();
    rmSync(zk.dataDir, { recursive: true, force: true });
    await zk.start();
    await log.nth("lost", 1, 4 * T);
    await log.nth("registered", 2, 4 * T);
    // The consumer's session was refused too: its watch starts over on a new session.
    await consumer.until((h) => h.includes("h1"), 4 * T, "consumer sees h1 on the new server");
    expect(log.types()).toEqual(["registered", "lost", "registered"]);
    expect(consumer.errors).toEqual([]);
  });

  it("close() while the server cannot be reached returns within 2 s", async () => {
    const zk = await startZooKeeper();
    const proxy = await startProxy(zk);
    world = new ZkWorld(() => zk.hostPort);
    const app = freshApp("unreachable");
    const naming = world.naming({ servers: proxy.hostPort, sessionTimeoutMs: T });
    const log = new EventLog(naming.register(inst(app, "h1")));
    const info$ = naming.build(app).instances$;
    const consumer = new Recorder(info$);
    await log.nth("registered", 1, 10_000);
    await consumer.until((h) => h.includes("h1"), 5_000, "sees h1");
    proxy.cut({ mode: "blackhole" });
    const started = Date.now();
    await naming.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitFor(() => consumer.completed, { timeoutMs: 1_000, message: "instances$ completed" });
  });
});
