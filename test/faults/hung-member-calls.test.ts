// A hung member gets no unary calls: a SIGSTOPped member of a 3-member cluster must
// not cost a client its 3 s leases while two members are healthy. The keep-alive stream leaves the
// hung member before the leases run out, and lease grants and puts made during the hang go to the
// healthy members instead of waiting out a deadline on the hung one.
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/index.js";
import { holdFor, startCluster, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import { EtcdWorld, freshApp, inst, keyOf, memberWith, openStreams } from "./support.js";

useHarnessCleanup("each");

const TTL = 3;

describe("a hung member of a 3-member cluster", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("costs no 3 s lease, and registrations made during the hang complete through the others", async () => {
    const cluster = await startCluster(3);
    const proxies = await Promise.all(cluster.members.map((m) => startProxy(m)));
    world = new EtcdWorld(() => cluster.clientOptions());
    const app = freshApp("hungcalls");
    const naming = world.naming({ ttlSeconds: TTL }, world.client({ hosts: proxies.map((p) => p.endpoint) }));
    const events: (RegistrationEvent & { host: string; at: number })[] = [];
    const errors: unknown[] = [];
    const subs: Subscription[] = [];
    const register = (host: string): void => {
      subs.push(
        naming.register(inst(app, host)).subscribe({
          next: (e) => events.push({ ...e, host, at: Date.now() }),
          error: (e: unknown) => errors.push(e),
        }),
      );
    };
    try {
      for (const h of ["a", "b", "c"]) register(h);
      await waitFor(() => events.filter((e) => e.type === "registered").length === 3, {
        message: "registered",
      });
      const victim = cluster.member(await memberWith(cluster.members, "LeaseKeepAlive"));
      const pausedAt = Date.now();
      victim.pause();
      // Once the keep-alive stream has left the hung member, new registrations: each needs a grant
      // and a put, and must not wait out a 5 s deadline on the hung member.
      const healthy = cluster.members.filter((m) => m !== victim);
      await waitFor(
        async () =>
          (await Promise.all(healthy.map((m) => openStreams(m, "LeaseKeepAlive")))).some((n) => n > 0),
        { timeoutMs: TTL * 1000, message: "the keep-alive stream on a healthy member" },
      );
      const lateStart = Date.now();
      const late = ["d", "e", "f", "g", "h", "i"];
      for (const h of late) register(h);
      await waitFor(() => late.every((h) => events.some((e) => e.host === h && e.type === "registered")), {
        timeoutMs: 8_000,
        message: "the registrations made during the hang",
      });
      const lateIn = Math.max(
        ...late.map((h) => events.find((e) => e.host === h && e.type === "registered")!.at - lateStart),
      );
      // Over two TTLs into the hang: no lease was lost.
      const hangMs = 2 * TTL * 1000 + 500;
      await holdFor(hangMs - (Date.now() - pausedAt));
      const direct = world.client({ hosts: healthy.map((m) => m.endpoint) });
      const keys = await direct.getAll().prefix(`/kratos_etcd/${app}/`).keys();
      expect(events.filter((e) => e.type === "lost")).toEqual([]);
      expect(keys.sort()).toEqual([...["a", "b", "c"], ...late].map((h) => keyOf(app, h)).sort());
      expect(lateIn).toBeLessThan(3_000);
      expect(errors).toEqual([]);
    } finally {
      for (const s of subs) s.unsubscribe();
      for (const m of cluster.members) m.resume();
    }
  });
});
