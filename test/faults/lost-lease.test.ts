// A lease lost while the registering client was cut off from etcd for longer than
// the TTL is re-granted and the key re-written, without the subscriber seeing an error.
import { Etcd3 } from "etcd3";
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/index.js";
import {
  holdFor,
  startEtcd,
  startProxy,
  useHarnessCleanup,
  waitFor,
  type CutMode,
} from "../harness/index.js";
import { ErrorLog, EtcdWorld, freshApp, inst, keyOf, Recorder } from "./support.js";

useHarnessCleanup();

const TTL = 2;

describe("lost lease (proxy cut longer than the TTL)", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  /** "rxnaming": a client made with etcdClientOptions; "default": `new Etcd3({ hosts })`, as most write. */
  const scenario = async (
    mode: CutMode,
    extraCutMs: number,
    clientKind: "rxnaming" | "default" = "rxnaming",
  ): Promise<void> => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("lease");
    const key = keyOf(app, "h1");

    const defaultClient = clientKind === "default" ? new Etcd3({ hosts: [proxy.endpoint] }) : undefined;
    const registering = world.naming(
      { ttlSeconds: TTL },
      defaultClient ?? world.client({ hosts: [proxy.endpoint] }),
    );
    const regErrors = new ErrorLog(registering);
    const consumer = new Recorder(world.naming().build(app).instances$); // another client, direct

    const events: { event: RegistrationEvent }[] = [];
    const subscriberErrors: unknown[] = [];
    let completed = false;
    const sub: Subscription = registering.register(inst(app, "h1")).subscribe({
      next: (event) => events.push({ event }),
      error: (e: unknown) => subscriberErrors.push(e),
      complete: () => (completed = true),
    });
    try {
      await waitFor(() => events.some((e) => e.event.type === "registered"), { message: "registered" });
      await consumer.until((h) => h.includes("h1"), 5_000, "consumer sees h1");
      const first = events[0]!.event as Extract<RegistrationEvent, { type: "registered" }>;

      proxy.cut({ mode });
      // etcd expires the lease (and deletes the key) once the TTL passes without keep-alive.
      await consumer.until((h) => !h.includes("h1"), TTL * 1000 + 4_000, "consumer sees h1 go");
      expect(await world.get(key)).toBeUndefined();
      await holdFor(extraCutMs);

      proxy.restore();
      await consumer.until((h) => h.includes("h1"), 2_000, "consumer sees h1 again within 2 s of restore");
      expect(await world.get(key)).toBeDefined();
      await waitFor(() => events.filter((e) => e.event.type === "registered").length >= 2, {
        timeoutMs: 2_000,
        message: "a second registered event",
      });

      const types = events.map((e) => e.event.type);
      expect(types).toEqual(["registered", "lost", "registered"]);
      const again = events[2]!.event as Extract<RegistrationEvent, { type: "registered" }>;
      expect(again.key).toBe(key);
      expect(again.leaseId).not.toBe(first.leaseId);
      // The key is held by the new lease in etcd.
      const stored = await world.admin.get(key).exec();
      expect(stored.kvs[0]?.lease).toBe(again.leaseId);
      expect(subscriberErrors).toEqual([]);
      expect(completed).toBe(false);
      // The loss is for logs: it is reported on errors$.
      expect(regErrors.errors.some((e) => e._tag === "Backend")).toBe(true);
      // The consumer saw h1, then none, then h1.
      const seq = consumer.sets.map((s) => s.instances.some((i) => i.hostname === "h1"));
      const collapsed = seq.filter((v, i) => i === 0 || v !== seq[i - 1]);
      expect(collapsed.slice(-3)).toEqual([true, false, true]);
      expect(consumer.errors).toEqual([]);
    } finally {
      sub.unsubscribe();
      if (defaultClient !== undefined) {
        await world.dispose();
        world = undefined;
        defaultClient.close();
      }
    }
  };

  it("blackhole partition: lost, then registered with a new lease; key back within 2 s", async () => {
    await scenario("blackhole", 500);
  });

  it("reset (etcd refuses) for over 2 x TTL: lost reported during the cut, key back within 2 s", async () => {
    // The client's `lost` fires 2 x TTL after the last keep-alive: the cut outlasts it, so re-grants
    // fail (with backoff) while the cut holds.
    await scenario("reset", 3_000);
  });

  it("with a default `new Etcd3()` client (circuit breaker open 5 s): key back within 2 s of the restore", async () => {
    await scenario("blackhole", 500, "default");
  });

  it("with a default `new Etcd3()` client, reset for over 2 x TTL: key back within 2 s of the restore", async () => {
    await scenario("reset", 3_000, "default");
  });
});
