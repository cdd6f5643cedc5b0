// A 3-server ensemble: killing the server a client talks to moves the client to another with the
// same session: its ephemeral node stays, nothing is lost, the watch goes on.
import { expect, it } from "vitest";
import { Recorder } from "../faults/support.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { encodeInstance } from "../../src/testing/index.js";
import { holdFor, startZooKeeperEnsemble, useHarnessCleanup, waitFor } from "../harness/index.js";
import { EventLog, ZkWorld } from "./support.js";

useHarnessCleanup();

const T = 4_000;

it("killing the server a registering client is on loses nothing", async () => {
  const ensemble = await startZooKeeperEnsemble(3);
  const world = new ZkWorld(() => ensemble.connectionString);
  try {
    const app = freshApp("ensemble");
    const registering = world.naming({ sessionTimeoutMs: T });
    const log = new EventLog(registering.register(inst(app, "h1")));
    // The registering naming watches its own app too: its watch must survive the move.
    const own = new Recorder(registering.build(app).instances$);
    const consumer = new Recorder(world.naming({ sessionTimeoutMs: T }).build(app).instances$);
    const first = await log.nth("registered", 1, 15_000);
    await consumer.until((h) => h.includes("h1"), 10_000, "consumer sees h1");
    await own.until((h) => h.includes("h1"), 10_000, "own watch sees h1");
    const session = (first.event as { leaseId: string }).leaseId;

    const server = await waitFor(() => ensemble.serverOf(session), { message: `the server of ${session}` });
    await server.kill();
    // The client moves to another server within the session.
    const moved = await waitFor(() => ensemble.serverOf(session), {
      timeoutMs: 2 * T,
      message: `${session} on another server`,
    });
    expect(moved).not.toBe(server);

    // Its watch goes on: a node written now is seen by it.
    await world.put(`/kratos_etcd/${app}/h2`, encodeInstance(inst(app, "h2")));
    await own.until((h) => h.includes("h2"), 10_000, "own watch sees h2 after the move");
    await consumer.until((h) => h.includes("h2"), 10_000, "consumer sees h2");
    // Longer than the session timeout: had the session been lost, it would have shown by now.
    const pastSessionTimeoutMs = T * 1.5;
    await holdFor(pastSessionTimeoutMs);
    expect(log.types()).toEqual(["registered"]);
    expect(log.errors).toEqual([]);
    // From the first set that had h1 on, every set has it: it never went, not even for a moment.
    const fromH1 = (sets: readonly { instances: readonly { hostname: string }[] }[]) =>
      sets.slice(sets.findIndex((set) => set.instances.some((i) => i.hostname === "h1")));
    expect(fromH1(consumer.sets).every((set) => set.instances.some((i) => i.hostname === "h1"))).toBe(true);
    expect(fromH1(own.sets).every((set) => set.instances.some((i) => i.hostname === "h1"))).toBe(true);
    const stat = await world.admin.stat(`/kratos_etcd/${app}/h1`);
    expect(stat?.ephemeralOwner.readBigUInt64BE(0)).toBe(BigInt(session));
  } finally {
    await world.dispose();
  }
});

it("a registration whose session is on a SIGSTOPped leader is not lost: it moves once the others elect a new one", async () => {
  const ensemble = await startZooKeeperEnsemble(3);
  const world = new ZkWorld(() => ensemble.connectionString);
  try {
    const app = freshApp("paused-leader");
    const registering = world.naming({ sessionTimeoutMs: T });
    const log = new EventLog(registering.register(inst(app, "h1")));
    const first = await log.nth("registered", 1, 15_000);
    const session = (first.event as { leaseId: string }).leaseId;
    const serverOfSession = () =>
      waitFor(() => ensemble.serverOf(session), { timeoutMs: 15_000, message: `the server of ${session}` });
    // Moved by restarting the server it is on until that server is the leader.
    let on = await serverOfSession();
    for (let tries = 0; tries < 8 && (await on.mode()) !== "leader"; tries++) {
      await on.restart();
      on = await serverOfSession();
    }
    expect(await on.mode()).toBe("leader");

    on.pause();
    // The other two elect a leader (syncLimit 5 x tickTime 500 ms, then an election); the client
    // must find one of them before giving its session up (1.5 x the session timeout unheard).
    const moved = await waitFor(
      async () => {
        const now = await ensemble.serverOf(session);
        return now !== undefined && now !== on ? now : undefined;
      },
      { timeoutMs: 3 * T, message: `${session} on another server` },
    );
    expect(await moved.mode()).toMatch(/leader|follower/);
    const pausedAfterMoveMs = T * 1.5;
    await holdFor(pausedAfterMoveMs);
    on.resume();
    expect(log.types()).toEqual(["registered"]);
    expect(log.errors).toEqual([]);
    // Read through the two that ran on: a raw client that was on the paused one may still hang.
    const others = ensemble.servers.filter((s) => s !== on).map((s) => s.hostPort);
    const stat = await world.raw({}, others.join(",")).stat(`/kratos_etcd/${app}/h1`);
    expect(stat?.ephemeralOwner.readBigUInt64BE(0)).toBe(BigInt(session));
  } finally {
    await world.dispose();
  }
}, 120_000);
