import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerGrpcResolver } from "../../src/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { EtcdWorld } from "../etcd/support.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { call, client, startEcho } from "./echo.js";
import { lifecycle, Registrations } from "./scenario.js";

const etcd = useEtcd();

describe("gRPC over etcd (etcd:///app)", () => {
  let world: EtcdWorld;
  beforeEach(() => {
    world = new EtcdWorld(() => etcd().clientOptions());
  });
  afterEach(async () => {
    await world.dispose();
  });

  it("round robin follows registrations: all three, one leaves, a fourth joins, none, one again", async () => {
    const naming = world.naming();
    const { scheme } = await registerGrpcResolver(naming);
    expect(scheme).toBe("etcd");
    await lifecycle(naming, "etcd", freshApp("grpc.etcd"));
  }, 60_000);

  it("100 channels to one appid cost etcd one watcher, released after the linger when they close", async () => {
    const naming = world.naming({ lingerMs: 500 });
    await registerGrpcResolver(naming);
    const server = await startEcho("only");
    // Registered by another naming: a registration watches its app's prefix (to learn when a newer
    // one takes its key), which would share the channels' watcher in the same naming.
    const regs = new Registrations(world.naming(), freshApp("grpc.shared"));
    const channels: grpc.Client[] = [];
    try {
      regs.add("only", [server.addr]);
      await waitFor(async () => (await etcd().watcherCount()) === 1, {
        message: "the registration's watcher only, before",
      });
      const before = 1;
      // The first channel waits for the registration to land; the others then find it at once.
      channels.push(client(`etcd:///${regs.appId}`));
      await waitFor(async () => (await call(channels[0]!, { deadlineMs: 2_000 })).ok, {
        message: "registered",
      });
      for (let k = 1; k < 100; k++) channels.push(client(`etcd:///${regs.appId}`));
      const outcomes = await Promise.all(channels.map((c) => call(c, { deadlineMs: 10_000 })));
      expect(outcomes.every((o) => o.ok && o.server === "only")).toBe(true);
      expect(await etcd().watcherCount()).toBe(before + 1);

      for (const c of channels) c.close();
      const closedAt = performance.now();
      await waitFor(async () => (await etcd().watcherCount()) === before, {
        timeoutMs: 5_000,
        message: "the watcher cancelled after the linger",
      });
      // Not before the linger: the watch outlives its last channel by lingerMs.
      expect(performance.now() - closedAt).toBeGreaterThanOrEqual(400);
    } finally {
      for (const c of channels) c.close();
      regs.dispose();
      await server.stop();
    }
  }, 60_000);
});
