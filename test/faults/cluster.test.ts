// A 3-member cluster. Killing the member a client talks to during churn: watches
// and keep-alives go on through the others, sets converge, no registration is lost. Killing 2 of 3:
// the loss of quorum is reported on errors$, and everything recovers when quorum returns.
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { Naming, RegistrationEvent } from "../../src/index.js";
import {
  holdFor,
  startCluster,
  startProxy,
  useHarnessCleanup,
  waitFor,
  type EtcdCluster,
  type TcpProxy,
} from "../harness/index.js";
import {
  Churn,
  converged,
  ErrorLog,
  EtcdWorld,
  freshApp,
  inst,
  openStreams,
  putInstance,
  Recorder,
} from "./support.js";

useHarnessCleanup("each");

/** A client on all three members, each reached through its own proxy, so a test sees which it uses. */
const proxied = async (cluster: EtcdCluster): Promise<TcpProxy[]> =>
  Promise.all(cluster.members.map((m) => startProxy(m)));

const registerAll = (
  naming: Naming,
  app: string,
  hosts: readonly string[],
): { events: RegistrationEvent[]; errors: unknown[]; subs: Subscription[] } => {
  const events: RegistrationEvent[] = [];
  const errors: unknown[] = [];
  const subs = hosts.map((h) =>
    naming
      .register(inst(app, h))
      .subscribe({ next: (e) => events.push(e), error: (e: unknown) => errors.push(e) }),
  );
  return { events, errors, subs };
};

describe("3-member cluster", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("killing the member a client talks to during churn: watches and keep-alives go on", async () => {
    const cluster = await startCluster(3);
    const proxies = await proxied(cluster);
    world = new EtcdWorld(() => cluster.clientOptions());
    const app = freshApp("failover");
    const client = world.client({ hosts: proxies.map((p) => p.endpoint) });
    const naming = world.naming({ ttlSeconds: 3 }, client);
    const local = new Recorder(naming.build(app).instances$);
    const other = new Recorder(world.naming().build(app).instances$); // direct, all members
    const regs = registerAll(naming, app, ["reg-1", "reg-2", "reg-3"]);
    try {
      for (const r of [local, other])
        await r.until((h) => ["reg-1", "reg-2", "reg-3"].every((x) => h.includes(x)));
      const churn = new Churn(world.client(), app, 30, 2);
      await waitFor(() => churn.writes >= 50, { message: "churn under way before the kill" });

      const used = proxies
        .map((p, i) => ({ i, connections: p.connections }))
        .filter((p) => p.connections > 0);
      expect(used.length).toBeGreaterThan(0);
      const victim = cluster.member(used[0]!.i);
      await victim.kill();
      const writesAtKill = churn.writes;
      // Churn goes on through the other members, then stops.
      await waitFor(() => churn.writes >= writesAtKill + 50, {
        timeoutMs: 5_000,
        message: "churn writing through the other members",
      });
      await churn.stop();

      const truth = await converged(world.admin, app, [local, other], 5_000);
      // Keep-alives went on: no lease was lost, and every key is still there.
      expect(regs.events.filter((e) => e.type === "lost")).toEqual([]);
      expect(regs.errors).toEqual([]);
      for (const h of ["reg-1", "reg-2", "reg-3"])
        expect(truth.some((l) => l.startsWith(`${h}=`))).toBe(true);
      // And they keep going for over two TTLs on the remaining members.
      const twoTtlsMs = 6_500;
      await holdFor(twoTtlsMs);
      expect(regs.events.filter((e) => e.type === "lost")).toEqual([]);
      expect(await world.admin.getAll().prefix(`/kratos_etcd/${app}/reg-`).keys()).toHaveLength(3);
      // The watch is alive on the remaining members.
      await putInstance(world.admin, app, "after-kill", "v1");
      for (const r of [local, other])
        await r.until((h) => h.includes("after-kill"), 5_000, "a put after the kill");
      expect(local.errors).toEqual([]);
      expect(other.errors).toEqual([]);
    } finally {
      for (const s of regs.subs) s.unsubscribe();
    }
  });

  it("killing 2 of 3: the loss is reported on errors$, and everything recovers with quorum", async () => {
    const cluster = await startCluster(3);
    const proxies = await proxied(cluster);
    world = new EtcdWorld(() => cluster.clientOptions());
    const app = freshApp("quorum");
    const client = world.client({ hosts: proxies.map((p) => p.endpoint) });
    const naming = world.naming({ ttlSeconds: 2 }, client);
    const errors = new ErrorLog(naming);
    const local = new Recorder(naming.build(app).instances$);
    // A process that only watches, through the member that survives (and loses its leader): it must
    // not be left with a stale set in silence either.
    const watchOnly = world.naming({}, world.client({ hosts: [proxies[0]!.endpoint] }));
    const watchErrors = new ErrorLog(watchOnly);
    const watched = new Recorder(watchOnly.build(app).instances$);
    const regs = registerAll(naming, app, ["reg-1", "reg-2"]);
    try {
      for (const r of [local, watched]) await r.until((h) => h.includes("reg-1") && h.includes("reg-2"));
      // Both namings' watch streams are open before the kill.
      await waitFor(
        async () =>
          (await Promise.all(cluster.members.map((m) => openStreams(m, "Watch")))).reduce(
            (a, b) => a + b,
            0,
          ) >= 2,
        { message: "both watch streams open" },
      );

      const killedAt = Date.now();
      await Promise.all([cluster.member(1).kill(), cluster.member(2).kill()]);
      await errors.first(killedAt, (e) => e._tag === "Backend", 10_000, "no-quorum on errors$");
      await watchErrors.first(
        killedAt,
        (e) => e._tag === "Backend",
        10_000,
        "no-quorum on the watch-only naming's errors$",
      );
      expect(local.errors).toEqual([]);
      expect(watched.errors).toEqual([]);

      const outageMs = 1_000;
      await holdFor(outageMs);
      await cluster.startMembers();
      // Registrations are present again (re-granted if the lease expired meanwhile).
      await waitFor(
        async () => (await world!.admin.getAll().prefix(`/kratos_etcd/${app}/reg-`).keys()).length === 2,
        {
          timeoutMs: 8_000,
          message: "both registrations back",
        },
      );
      await putInstance(world.admin, app, "after-quorum", "v1");
      await converged(world.admin, app, [local, watched], 8_000);
      expect(regs.errors).toEqual([]);
    } finally {
      for (const s of regs.subs) s.unsubscribe();
    }
  });
});
