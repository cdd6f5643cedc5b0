// Recovery does not depend on the client's fault policy: a short reset of all three connections of
// a 3-host client must not cost its leases through the client's circuit breaker (which opens after
// three failures and stays open 5 s). Leases must ride out such a short reset, with the
// client rxnaming suggests and with a default `new Etcd3()`.
import { Etcd3 } from "etcd3";
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/index.js";
import { holdFor, startCluster, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import { EtcdWorld, freshApp, inst, leaseRenewals } from "./support.js";

useHarnessCleanup("each");

describe("a 1.1 s reset of every connection of a 3-host client", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  for (const kind of ["rxnaming", "default"] as const) {
    it(`loses no 3 s lease (${kind} client)`, async () => {
      const cluster = await startCluster(3);
      const proxies = await Promise.all(cluster.members.map((m) => startProxy(m)));
      world = new EtcdWorld(() => cluster.clientOptions());
      const hosts = proxies.map((p) => p.endpoint);
      const own = kind === "default" ? new Etcd3({ hosts }) : undefined;
      const naming = world.naming({ ttlSeconds: 3 }, own ?? world.client({ hosts }));
      const app = freshApp("resetall");
      const events: (RegistrationEvent & { host: string })[] = [];
      const subs: Subscription[] = ["a", "b", "c"].map((h) =>
        naming.register(inst(app, h)).subscribe((e) => events.push({ ...e, host: h })),
      );
      try {
        await waitFor(() => events.filter((e) => e.type === "registered").length === 3, {
          message: "registered",
        });
        // The keep-alive stream is running before the cut.
        const renewedAtStart = await leaseRenewals(cluster.members);
        await waitFor(async () => (await leaseRenewals(cluster.members)) >= renewedAtStart + 3, {
          message: "a keep-alive round for the three leases",
        });
        for (const p of proxies) p.cut({ mode: "reset" });
        const resetMs = 1_100;
        await holdFor(resetMs);
        for (const p of proxies) p.restore();
        // Two TTLs after the restore, longer than a breaker stays open: a lease the reset cost has expired by then.
        const ttlsMs = 2 * 3_000;
        await holdFor(ttlsMs);
        const keys = await world.admin.getAll().prefix(`/kratos_etcd/${app}/`).keys();
        expect(events.filter((e) => e.type === "lost")).toEqual([]);
        expect(keys).toHaveLength(3);
      } finally {
        for (const s of subs) s.unsubscribe();
        await world.dispose();
        world = undefined;
        own?.close();
      }
    });
  }
});
