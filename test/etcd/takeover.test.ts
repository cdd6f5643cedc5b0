// Two registrations of one instance on real etcd: the newest wins at once, the displaced one lets
// its lease go and leaves the key; and what watching for that costs etcd.
import { describe, expect, it } from "vitest";
import type { NamingError, RegistrationEvent } from "../../src/index.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

const leaseIds = async (): Promise<string[]> =>
  (await etcd().etcdctl(["lease", "list"]))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^[0-9a-f]+$/i.test(line))
    .map((hex) => BigInt(`0x${hex}`).toString());

const revision = async (world: EtcdWorld): Promise<string> =>
  (await world.admin.getAll().prefix("/none/").exec()).header.revision;

describe("takeover of a registered key (real etcd)", () => {
  it("takes a key left by a process that died over at once; the old lease's expiry leaves it", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const app = freshApp("restart");
      const key = `/kratos_etcd/${app}/h`;
      // What a process killed a moment ago leaves: its key, under its lease, still alive.
      const old = world.admin.lease(60, { autoKeepAlive: false });
      await old.put(key).value("{}").exec();
      const oldId = await old.grant();
      const started = Date.now();
      const events$ = world.naming().register(inst(app, "h"));
      const events: RegistrationEvent[] = [];
      const sub = events$.subscribe((e) => events.push(e));
      await waitFor(() => events.some((e) => e.type === "registered"), { message: "registered" });
      expect(Date.now() - started).toBeLessThan(1_000);
      const mine = events.find((e) => e.type === "registered")!;
      expect(mine).toMatchObject({ key });
      expect(mine.type === "registered" && mine.leaseId).not.toBe(oldId);
      // The old lease ends (it expires, or is revoked): the key is not its own any more.
      await old.revoke();
      expect(await world.get(key)).toContain('"hostname":"h"');
      sub.unsubscribe();
    } finally {
      await world.dispose();
    }
  });

  it("the displaced registration revokes its own lease, which leaves the newer's key", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const app = freshApp("displaced");
      let error: NamingError | undefined;
      const olderEvents$ = world.naming().register(inst(app, "h"));
      const olderEvents: RegistrationEvent[] = [];
      olderEvents$.subscribe({ next: (e) => olderEvents.push(e), error: (e: NamingError) => (error = e) });
      await waitFor(() => olderEvents[0], { message: "older registered" });
      const olderLease = (olderEvents[0] as Extract<RegistrationEvent, { type: "registered" }>).leaseId;
      const newerEvents: RegistrationEvent[] = [];
      const newerSub = world
        .naming()
        .register(inst(app, "h", { version: "new" }))
        .subscribe((e) => newerEvents.push(e));
      const newer = (await waitFor(() => newerEvents[0], { message: "newer registered" })) as Extract<
        RegistrationEvent,
        { type: "registered" }
      >;
      await waitFor(() => error, { timeoutMs: 1_000, message: "the older learns within 1 s" });
      expect(error).toMatchObject({ _tag: "Duplicate", key: newer.key });
      await waitFor(async () => !(await leaseIds()).includes(olderLease), {
        timeoutMs: 2_000,
        message: "the older lease revoked",
      });
      expect(await leaseIds()).toContain(newer.leaseId);
      expect(await world.get(newer.key)).toContain('"version":"new"');
      newerSub.unsubscribe();
    } finally {
      await world.dispose();
    }
  });

  it("1,000 registrations of one app cost one watcher and write nothing but keep-alives", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const app = freshApp("steady");
      const naming = world.naming({ ttlSeconds: 10 });
      const watchersBefore = await etcd().watcherCount();
      const events: RegistrationEvent[] = [];
      const subs = Array.from({ length: 1_000 }, (_, i) =>
        naming.register(inst(app, `h${i}`)).subscribe((e) => events.push(e)),
      );
      await waitFor(() => events.filter((e) => e.type === "registered").length >= 1_000, {
        timeoutMs: 45_000,
        message: "1,000 registered",
      });
      expect(await etcd().watcherCount()).toBe(watchersBefore + 1);
      const before = await revision(world);
      // A keep-alive round renews every lease without writing anything.
      const leases = new Set(events.map((e) => (e.type === "registered" ? e.leaseId : "")));
      const renewalsBefore = await etcd().leaseRenewals();
      await waitFor(async () => (await etcd().leaseRenewals()) >= renewalsBefore + leases.size, {
        timeoutMs: 10_000,
        message: `a keep-alive round for ${leases.size} lease(s)`,
      });
      expect(await revision(world)).toBe(before);
      expect(events.every((e) => e.type === "registered")).toBe(true);
      for (const sub of subs) sub.unsubscribe();
    } finally {
      await world.dispose();
    }
  });

  it("registering and watching one app in one naming costs one watcher, and the displaced still learns", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const app = freshApp("shared");
      const naming = world.naming();
      const watchersBefore = await etcd().watcherCount();
      const seen: string[][] = [];
      const view = naming
        .build(app)
        .instances$.subscribe((info) => seen.push(info.instances.map((i) => i.hostname)));
      let error: NamingError | undefined;
      const events: RegistrationEvent[] = [];
      naming
        .register(inst(app, "h"))
        .subscribe({ next: (e) => events.push(e), error: (e: NamingError) => (error = e) });
      await waitFor(() => seen.some((hosts) => hosts.includes("h")), { message: "seen" });
      expect(await etcd().watcherCount()).toBe(watchersBefore + 1);
      const other = world
        .naming()
        .register(inst(app, "h", { version: "new" }))
        .subscribe();
      await waitFor(() => error, { timeoutMs: 1_000, message: "the older learns within 1 s" });
      expect(error).toMatchObject({ _tag: "Duplicate" });
      other.unsubscribe();
      view.unsubscribe();
    } finally {
      await world.dispose();
    }
  });
});
