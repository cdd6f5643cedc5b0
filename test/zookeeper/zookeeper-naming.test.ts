// What the ZooKeeper backend does beyond the shared contract: Kratos v1 nodes written by others,
// nodes of old sessions at our path, one watcher per app and session (docs/zookeeper.md), apps whose
// node does not exist yet, and bad options.
import { firstValueFrom, timeout } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkSessions } from "../../src/backends/zookeeper/zk-sessions.js";
import { zkWatch } from "../../src/backends/zookeeper/zk-watch.js";
import { zookeeperNaming, type Naming } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { Recorder } from "../faults/support.js";
import {
  holdFor,
  startZooKeeper,
  useHarnessCleanup,
  waitFor,
  type ZooKeeperProcess,
} from "../harness/index.js";
import { EventLog, within, ZkWorld } from "./support.js";

useHarnessCleanup();

// Byte for byte what a Go Kratos v1 service writes.
const KRATOS_V1 =
  '{"region":"","zone":"sh001","env":"dev","appid":"demo.service","hostname":"host-1","addrs":["grpc://10.0.0.5:9000"],"version":"","latest_timestamp":0,"metadata":null,"status":0}';

describe("zookeeperNaming", () => {
  let zk: ZooKeeperProcess;
  let world: ZkWorld;
  beforeAll(async () => {
    zk = await startZooKeeper();
    world = new ZkWorld(() => zk.hostPort);
  });
  afterAll(async () => {
    await world.dispose();
  });

  it("discovers a Kratos v1 znode written by another client, under the default root /kratos", async () => {
    const writer = world.raw();
    await writer.putEphemeral("/kratos/demo.service/host-1", KRATOS_V1);
    const naming = zookeeperNaming({ servers: zk.hostPort, lingerMs: 0 });
    try {
      expect(naming.scheme).toBe("zookeeper");
      const resolver = naming.build("demo.service");
      const info = await within(resolver.instances$, (i) => i.instances.length === 1, 5_000);
      expect(info.instances[0]).toEqual({
        region: "",
        zone: "sh001",
        env: "dev",
        appId: "demo.service",
        hostname: "host-1",
        addrs: ["grpc://10.0.0.5:9000"],
        version: "",
        lastTs: 0,
        metadata: {},
        status: 0,
      });
      expect(BigInt(info.revision)).toBeGreaterThan(0n);
      // The writer's session ends: its ephemeral node goes, and the set with it.
      writer.close();
      await within(resolver.instances$, (i) => i.instances.length === 0, 5_000);
    } finally {
      await naming.close();
    }
  });

  it("writes an EPHEMERAL node of its session holding Kratos v1 JSON, at <root>/<appid>/<hostname>", async () => {
    const app = freshApp("write");
    const naming = zookeeperNaming({ servers: zk.hostPort, root: "/services/kratos", lingerMs: 0 });
    try {
      const instance = inst(app, "host-1", { zone: "z1", metadata: { weight: "10" } });
      const log = new EventLog(naming.register(instance));
      const registered = await log.nth("registered", 1, 10_000);
      const key = `/services/kratos/${app}/host-1`;
      expect(registered.event).toMatchObject({ type: "registered", key });
      expect(await world.admin.get(key)).toBe(encodeInstance(instance));
      const stat = await world.admin.stat(key);
      expect(stat?.ephemeralOwner.readBigUInt64BE(0)).toBe(
        BigInt((registered.event as { leaseId: string }).leaseId),
      );
      // The parents it made are persistent: they outlive the session.
      expect((await world.admin.stat(`/services/kratos/${app}`))?.ephemeralOwner.readBigUInt64BE(0)).toBe(0n);
      log.unsubscribe();
      await waitFor(async () => (await world.admin.get(key)) === undefined, {
        timeoutMs: 1_000,
        message: "node deleted within 1 s of unsubscribing",
      });
    } finally {
      await naming.close();
    }
  });

  it("takes over a node of another (old) session at its path: deleted by version, created again", async () => {
    const app = freshApp("stale");
    const key = `/kratos_etcd/${app}/h1`;
    // A node of another session at our path, as an old session of ours leaves until it expires.
    const old = world.raw();
    await old.putEphemeral(key, encodeInstance(inst(app, "h1", { zone: "old" })));
    const oldMarker = `/stale-marker-${app.replace(/\./g, "-")}/m`;
    await old.putEphemeral(oldMarker, "old session");
    const naming = world.naming();
    const log = new EventLog(naming.register(inst(app, "h1", { zone: "new" })));
    const registered = await log.nth("registered", 1, 10_000);
    const stat = await world.admin.stat(key);
    expect(stat?.ephemeralOwner.readBigUInt64BE(0)).toBe(
      BigInt((registered.event as { leaseId: string }).leaseId),
    );
    expect(JSON.parse((await world.admin.get(key))!)).toMatchObject({ zone: "new" });
    // The old session ending takes nothing of ours with it.
    old.close();
    // Its own other ephemeral node gone: the server has ended the old session.
    await waitFor(async () => (await world.admin.get(oldMarker)) === undefined, {
      message: "the old session's marker node gone",
    });
    expect(JSON.parse((await world.admin.get(key))!)).toMatchObject({ zone: "new" });
    log.unsubscribe();
  });

  it("works under a chroot (servers host:port/chroot), whose node need not exist for the probe", async () => {
    const app = freshApp("chroot");
    const chroot = `/chroot-${app.replace(/\./g, "-")}`;
    const naming = zookeeperNaming({
      servers: `${zk.hostPort}${chroot}`,
      sessionTimeoutMs: 2_000,
      lingerMs: 0,
    });
    const errors: string[] = [];
    naming.errors$.subscribe((e) => errors.push(e.message));
    try {
      const consumer = new Recorder(naming.build(app).instances$);
      await consumer.until((h) => h.length === 0, 5_000, "the empty set first");
      // Probes every 2/3 s for a while: none may count as unanswered.
      const probingMs = 2_500;
      await holdFor(probingMs);
      expect(errors).toEqual([]);
      await world.put(`${chroot}/kratos/${app}/h1`, encodeInstance(inst(app, "h1")));
      await consumer.until((h) => h.includes("h1"), 5_000, "h1 under the chroot");
      const h2 = inst(app, "h2");
      const log = new EventLog(naming.register(h2));
      await log.nth("registered", 1, 5_000);
      expect(await world.admin.get(`${chroot}/kratos/${app}/h2`)).toBe(encodeInstance(h2));
      await consumer.until((h) => h.includes("h2"), 5_000, "h2 under the chroot");
    } finally {
      await naming.close();
    }
  });

  it("watches an app whose node does not exist yet, and sees it when it is created", async () => {
    const app = freshApp("later");
    const consumer = new Recorder(world.naming().build(app).instances$);
    await consumer.until((h) => h.length === 0, 5_000, "the empty set first");
    await world.put(`/kratos_etcd/${app}/h1`, encodeInstance(inst(app, "h1")));
    await consumer.until((h) => h.includes("h1"), 5_000, "h1 once the app node exists");
    // And the app node removed altogether: an empty app again.
    await world.del(`/kratos_etcd/${app}/h1`);
    await world.del(`/kratos_etcd/${app}`);
    await consumer.until((h) => h.length === 0, 5_000, "empty again");
    await world.put(`/kratos_etcd/${app}/h2`, encodeInstance(inst(app, "h2")));
    await consumer.until((h) => h.includes("h2"), 5_000, "h2 in the re-created app");
    consumer.unsubscribe();
  });

  it("keeps one watcher function per app and session however many changes it re-reads ", async () => {
    const app = freshApp("watchers");
    const path = `/kratos_etcd/${app}`;
    const sessions = new ZkSessions({
      servers: zk.hostPort,
      sessionTimeoutMs: 4_000,
      requestTimeoutMs: 2_000,
    });
    const sizes: number[] = [];
    const hosts = new Set<string>();
    let size = 0;
    const sub = zkWatch({ sessions, requestTimeoutMs: 2_000 }, `${path}/`).subscribe((m) => {
      if (m.type === "snapshot") size = m.entries.length;
      // Puts of new hosts add to the set; a rewrite is a put of a host already there.
      if (m.type === "batch") size = new Set([...hosts, ...m.changes.map((c) => c.key)]).size;
      if (m.type === "batch") for (const c of m.changes) hosts.add(c.key);
      sizes.push(size);
    });
    try {
      await waitFor(() => sizes.length > 0, { message: "the first snapshot" });
      for (let i = 0; i < 10; i++) {
        // Three hosts written in turn: new ones add to the set, rewrites change a value in place.
        const before = sizes.length;
        await world.put(`${path}/h${i % 3}`, encodeInstance(inst(app, `h${i % 3}`, { version: String(i) })));
        await waitFor(() => sizes.length > before, { message: `a message after write ${i}` });
      }
      expect(size).toBe(3);
      // Re-subscribing on the same session points the same function elsewhere: no new one.
      sub.unsubscribe();
      const seenAgain = new Set<string>();
      const again = zkWatch({ sessions, requestTimeoutMs: 2_000 }, `${path}/`).subscribe((m) => {
        if (m.type === "snapshot") for (const e of m.entries) seenAgain.add(e.key);
        if (m.type === "batch") for (const c of m.changes) seenAgain.add(c.key);
      });
      await world.put(`${path}/h9`, encodeInstance(inst(app, "h9")));
      await waitFor(() => seenAgain.has(`${path}/h9`), { message: "h9 seen by the new subscription" });
      const session = await firstValueFrom(sessions.session$.pipe(timeout(1_000)));
      const manager = (session.client as unknown as { connectionManager: { watcherManager: WatcherManager } })
        .connectionManager.watcherManager;
      const listeners = (kind: keyof WatcherManager) =>
        Object.values(manager[kind]).map((e) => e.listeners("notification").length);
      const all = [
        ...listeners("childWatchers"),
        ...listeners("dataWatchers"),
        ...listeners("existenceWatchers"),
      ];
      expect(all.length).toBeGreaterThan(0);
      expect(Math.max(...all)).toBe(1);
      again.unsubscribe();
    } finally {
      sub.unsubscribe();
      await sessions.close();
    }
  });

  it("bursts collapse: many writes at once give fewer sets than writes", async () => {
    const app = freshApp("burst");
    const consumer = new Recorder(world.naming().build(app).instances$);
    await consumer.until((h) => h.length === 0, 5_000, "the empty set first");
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => `h${String(i).padStart(2, "0")}`).map((h) =>
        world.put(`/kratos_etcd/${app}/${h}`, encodeInstance(inst(app, h))),
      ),
    );
    await consumer.until((h) => h.length === 30, 10_000, "all 30");
    expect(consumer.sets.length).toBeLessThan(30);
    consumer.unsubscribe();
  });

  it("with no server to reach: fetch() gives a Backend error at its deadline, and close() is prompt", async () => {
    const naming = zookeeperNaming({ servers: "127.0.0.1:1", fetchTimeoutMs: 500, lingerMs: 0 });
    const started = Date.now();
    const fetched = await naming.build(freshApp("nowhere")).fetch()();
    expect(fetched).toMatchObject({ _tag: "Left", left: { _tag: "Backend" } });
    expect(Date.now() - started).toBeLessThan(2_000);
    const closing = Date.now();
    await naming.close();
    expect(Date.now() - closing).toBeLessThan(1_000);
  });

  it("rejects bad options and appids the layout cannot hold with NamingErrors", async () => {
    expect(() => zookeeperNaming({ servers: "" })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption", field: "servers" }),
    );
    for (const servers of ["127.0.0.1:x", "a b:1", "127.0.0.1:2181,", "h:70000"]) {
      expect(() => zookeeperNaming({ servers })).toThrow(expect.objectContaining({ _tag: "InvalidOption" }));
    }
    expect(zookeeperNaming({ servers: "a:1,b,[::1]:2/chroot" }).scheme).toBe("zookeeper");
    expect(() => zookeeperNaming({ servers: zk.hostPort, sessionTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption", field: "sessionTimeoutMs" }),
    );
    expect(() => zookeeperNaming({ servers: zk.hostPort, root: "/a b" })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" }),
    );
    const naming: Naming = world.naming();
    const error = await firstValueFrom(naming.register(inst("a/b", "h1"))).catch((e: unknown) => e);
    expect(error).toMatchObject({ _tag: "InvalidInstance", field: "appId" });
  });
});

interface WatcherManager {
  readonly childWatchers: Record<string, { listeners(event: string): unknown[] }>;
  readonly dataWatchers: Record<string, { listeners(event: string): unknown[] }>;
  readonly existenceWatchers: Record<string, { listeners(event: string): unknown[] }>;
}
