// etcd SIGKILLed during churn and restarted on the same data dir. Every resolver
// converges to exactly etcd's state, instances$ never errors, registrations are present again.
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { holdFor, startEtcd, useHarnessCleanup, waitFor } from "../harness/index.js";
import { Churn, converged, ErrorLog, EtcdWorld, freshApp, inst, leaseRenewals, Recorder } from "./support.js";

useHarnessCleanup();

describe("SIGKILL and restart during churn", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("every resolver converges to etcd's state within 5 s of the restart", async () => {
    const etcd = await startEtcd();
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("restart");

    // Three consumers on three clients (three processes, as it were), two of them on one naming.
    const namings = [world.naming(), world.naming(), world.naming()];
    const errorLogs = namings.map((n) => new ErrorLog(n));
    const recorders = [
      new Recorder(namings[0]!.build(app).instances$),
      new Recorder(namings[1]!.build(app).instances$),
      new Recorder(namings[1]!.build(app).instances$),
      new Recorder(namings[2]!.build(app).instances$),
    ];
    // Registrations on their own client.
    const registering = world.naming({ ttlSeconds: 3 });
    const regErrors: unknown[] = [];
    const subs: Subscription[] = ["reg-1", "reg-2", "reg-3"].map((h) =>
      registering.register(inst(app, h)).subscribe({
        error: (e: unknown) => regErrors.push(e),
      }),
    );
    try {
      for (const r of recorders)
        await r.until((h) => ["reg-1", "reg-2", "reg-3"].every((x) => h.includes(x)));

      const churn = new Churn(world.client(), app, 30, 2);
      await waitFor(() => churn.writes >= 50, { message: "churn under way before the kill" });
      const writesBeforeKill = churn.writes;
      await etcd.kill();
      const outageMs = 700;
      await holdFor(outageMs);
      await etcd.start();
      const restartedAt = Date.now();
      const writesAtRestart = churn.writes;
      // Churn goes on after the restart, then stops.
      await waitFor(() => churn.writes >= writesAtRestart + 20, {
        timeoutMs: 4_000,
        message: "churn writing again after the restart",
      });
      await churn.stop();
      const stoppedAt = Date.now();

      const truth = await converged(world.admin, app, recorders, 5_000 - (stoppedAt - restartedAt));
      const convergedAfter = Date.now() - restartedAt;
      expect(convergedAfter).toBeLessThan(5_000);
      expect(churn.writes).toBeGreaterThan(writesBeforeKill);
      for (const h of ["reg-1", "reg-2", "reg-3"])
        expect(truth.some((line) => line.startsWith(`${h}=`))).toBe(true);

      // No duplicates, sorted, and instances$ never errored nor completed.
      for (const r of recorders) {
        const hosts = r.hosts();
        expect(new Set(hosts).size).toBe(hosts.length);
        expect([...hosts].sort()).toEqual(hosts);
        expect(r.errors).toEqual([]);
        expect(r.completed).toBe(false);
      }
      expect(regErrors).toEqual([]);
      // The outage was reported, not hidden.
      expect(errorLogs.some((log) => log.errors.some((e) => e._tag === "Backend"))).toBe(true);
      // The registrations survived or were re-made; once a keep-alive round has renewed all three
      // leases again, check again.
      const renewedBefore = await leaseRenewals([etcd]);
      await waitFor(async () => (await leaseRenewals([etcd])) >= renewedBefore + 3, {
        message: "a keep-alive round for the three registrations",
      });
      await waitFor(
        async () => {
          const keys = await world!.admin.getAll().prefix(`/kratos_etcd/${app}/reg-`).keys();
          return keys.length === 3;
        },
        { timeoutMs: 2_000, message: "all three registrations in etcd" },
      );
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });
});
