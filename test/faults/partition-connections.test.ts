// File descriptors stay flat across partitions: a partition must not leave connections open that
// nobody uses (docs/etcd.md#reconnects-that-leak-connections). grpc-js 1.14
// closes a channel whose subchannel waits out a reconnect backoff without stopping the backoff, so
// the subchannel connects once the member is back and that connection is never closed. rxnaming
// re-made a member's channels on every failed call, and so made such channels during a partition.
// With the client rxnaming suggests, it lets gRPC reconnect by itself (with a short backoff).
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/index.js";
import { holdFor, startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import { EtcdWorld, freshApp, inst, putInstance, Recorder } from "./support.js";

useHarnessCleanup("each");

describe("partitions of a client from etcd", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("leave it one connection to the member, and discovery and registration working", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const naming = world.naming({ ttlSeconds: 3 }, world.client({ hosts: [proxy.endpoint] }));
    const app = freshApp("partconn");
    const events: RegistrationEvent["type"][] = [];
    const sub: Subscription = naming.register(inst(app, "h1")).subscribe((e) => events.push(e.type));
    const consumer = new Recorder(naming.build(app).instances$);
    try {
      await consumer.until((h) => h.includes("h1"), 5_000, "consumer sees h1");
      expect(proxy.connections).toBe(1);

      for (let round = 1; round <= 3; round++) {
        // Longer than the TTL: calls and streams fail, the lease is lost and granted again.
        proxy.cut({ mode: "reset" });
        const partitionMs = 4_500;
        await holdFor(partitionMs);
        proxy.restore();
        await waitFor(() => events.filter((t) => t === "registered").length === round + 1, {
          timeoutMs: 5_000,
          message: `registered again after partition ${round} (events: ${events.join(",")})`,
        });
        const host = `added${round}`;
        await putInstance(world.admin, app, host);
        await consumer.until(
          (h) => h.includes(host),
          5_000,
          `consumer sees ${host} after partition ${round}`,
        );
        // A connection still being made or closed after a partition settles within a few seconds.
        await waitFor(() => proxy.connections === 1, {
          timeoutMs: 3_000,
          message: `one connection through the proxy after partition ${round} (${proxy.connections} now)`,
        });
      }
      expect(events).toEqual([
        "registered",
        "lost",
        "registered",
        "lost",
        "registered",
        "lost",
        "registered",
      ]);
    } finally {
      consumer.unsubscribe();
      sub.unsubscribe();
    }
  });
});
