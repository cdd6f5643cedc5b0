import { Etcd3 } from "etcd3";
import { firstValueFrom, timeout, type Subscription } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { etcdNaming, type NamingError, type RegistrationEvent } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

describe("etcd naming", () => {
  let world: EtcdWorld;
  beforeEach(() => {
    world = new EtcdWorld(() => etcd().clientOptions());
  });
  afterEach(async () => {
    await world.dispose();
  });

  describe("Kratos v1 compatibility", () => {
    it("lists a value that etcdctl wrote in Kratos' layout and JSON", async () => {
      const app = freshApp("demo.service");
      const value = `{"region":"","zone":"sh001","env":"dev","appid":"${app}","hostname":"host-1","addrs":["grpc://10.0.0.5:9000"],"version":"","latest_timestamp":0,"metadata":null,"status":0}`;
      await etcd().etcdctl(["put", `/kratos_etcd/${app}/host-1`, value]);
      const info = await until(world.naming().build(app).instances$, (h) => h.includes("host-1"));
      expect(info.instances[0]).toEqual({
        region: "",
        zone: "sh001",
        env: "dev",
        appId: app,
        hostname: "host-1",
        addrs: ["grpc://10.0.0.5:9000"],
        version: "",
        lastTs: 0,
        metadata: {},
        status: 0,
      });
    });

    it("writes a registration that etcdctl reads back as Kratos JSON under a live lease", async () => {
      const app = freshApp("demo.service");
      const events: RegistrationEvent[] = [];
      const sub = world
        .naming({ ttlSeconds: 7 })
        .register(
          inst(app, "host-1", {
            zone: "sh001",
            env: "dev",
            metadata: { weight: "10" },
            lastTs: 1_700_000_000_000_000_000,
          }),
        )
        .subscribe((e) => events.push(e));
      await waitFor(() => events.length > 0, { timeoutMs: 5_000 });
      const registered = events[0] as Extract<RegistrationEvent, { type: "registered" }>;
      const json = await etcd().etcdctl(["get", `/kratos_etcd/${app}/host-1`, "--print-value-only"]);
      expect(json.trim()).toBe(
        `{"region":"","zone":"sh001","env":"dev","appid":"${app}","hostname":"host-1","addrs":["grpc://127.0.0.1:9000"],"version":"","latest_timestamp":1700000000000000000,"metadata":{"weight":"10"},"status":1}`,
      );
      const ttl = await etcd().etcdctl([
        "lease",
        "timetolive",
        BigInt(registered.leaseId).toString(16),
        "--keys",
      ]);
      expect(ttl).toMatch(/granted with TTL\(7s\), remaining\([1-7]s\)/);
      expect(ttl).toContain(`/kratos_etcd/${app}/host-1`);
      sub.unsubscribe();
    });
  });

  it("costs etcd one watcher per appid however many subscribers and build() calls, and none after the linger", async () => {
    const before = await etcd().watcherCount();
    const naming = world.naming({ lingerMs: 300 });
    const app1 = freshApp();
    const app2 = freshApp();
    const subs: Subscription[] = [];
    const resolvers = Array.from({ length: 10 }, () => naming.build(app1));
    for (let i = 0; i < 1_000; i++) subs.push(resolvers[i % 10]!.instances$.subscribe());
    await firstValueFrom(resolvers[0]!.instances$);
    await waitFor(async () => (await etcd().watcherCount()) === before + 1, { timeoutMs: 3_000 });
    expect(await etcd().watcherCount()).toBe(before + 1);

    for (let i = 0; i < 10; i++) subs.push(naming.build(app2).instances$.subscribe());
    await firstValueFrom(naming.build(app2).instances$);
    await waitFor(async () => (await etcd().watcherCount()) === before + 2, { timeoutMs: 3_000 });
    expect(await etcd().watcherCount()).toBe(before + 2);

    for (const sub of subs) sub.unsubscribe();
    // Still there during the linger...
    expect(await etcd().watcherCount()).toBe(before + 2);
    // ...and gone after it.
    await waitFor(async () => (await etcd().watcherCount()) === before, { timeoutMs: 3_000 });
  });

  it("never loses an instance put between the range read and the start of the watch", async () => {
    const app = freshApp();
    const writer = world.client();
    let stop = false;
    let n = 0;
    // Two concurrent writers add and remove instances while resolvers start at staggered times.
    const writers = [0, 1].map(async (w) => {
      while (!stop) {
        const host = `h${w}-${n++ % 40}`;
        if (n % 3 === 0) await writer.delete().key(`/kratos_etcd/${app}/${host}`).exec();
        else
          await writer
            .put(`/kratos_etcd/${app}/${host}`)
            .value(encodeInstance(inst(app, host, { version: String(n) })))
            .exec();
      }
    });
    // Each resolver's latest set, as "hostname@version" strings.
    const latest: string[][] = [];
    const subs: Subscription[] = [];
    for (let i = 0; i < 8; i++) {
      // Each resolver starts some writes after the one before it, at another revision.
      const writesBefore = n;
      await waitFor(() => n >= writesBefore + 5, { message: "writes between resolver starts" });
      const slot = latest.push([]) - 1;
      subs.push(
        world
          .naming()
          .build(app)
          .instances$.subscribe(
            (info) => (latest[slot] = info.instances.map((x) => `${x.hostname}@${x.version}`)),
          ),
      );
    }
    // Let the writers go on a while after the last resolver started, then stop them.
    await waitFor(() => n >= 200, { timeoutMs: 20_000 });
    stop = true;
    await Promise.all(writers);
    const { kvs } = await writer.getAll().prefix(`/kratos_etcd/${app}/`).exec();
    const truth = kvs
      .map((kv) => JSON.parse(kv.value.toString()) as { hostname: string; version: string })
      .map((v) => `${v.hostname}@${v.version}`); // etcd sorts by key, which is hostname order
    await waitFor(() => latest.every((l) => JSON.stringify(l) === JSON.stringify(truth)), {
      timeoutMs: 5_000,
    }).catch(() => undefined);
    expect(n).toBeGreaterThanOrEqual(200);
    for (const l of latest) expect(l).toEqual(truth);
    for (const sub of subs) sub.unsubscribe();
  });

  it("deletes the key and revokes the lease within 1 s of unsubscribing", async () => {
    const app = freshApp();
    const events: RegistrationEvent[] = [];
    const sub = world
      .naming()
      .register(inst(app, "h"))
      .subscribe((e) => events.push(e));
    await waitFor(() => events.length > 0, { timeoutMs: 5_000 });
    const registered = events[0] as Extract<RegistrationEvent, { type: "registered" }>;
    const leaseHex = BigInt(registered.leaseId).toString(16);
    expect(await etcd().etcdctl(["lease", "list"])).toContain(leaseHex);
    const started = Date.now();
    sub.unsubscribe();
    await waitFor(async () => (await world.get(`/kratos_etcd/${app}/h`)) === undefined, {
      timeoutMs: 1_000,
      intervalMs: 10,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(async () => !(await etcd().etcdctl(["lease", "list"])).includes(leaseHex), {
      timeoutMs: 1_000,
    });
  });

  it("leaves no lease behind when a registration ends before its grant came back", async () => {
    const app = freshApp();
    const naming = world.naming();
    const before = await etcd().etcdctl(["lease", "list"]);
    const grantsBefore = (await etcd().grpcCalls("LeaseGrant")).handled;
    // Unsubscribed at once: the grant is still in flight, and must not outlive its subscriber.
    for (let i = 0; i < 5; i++)
      naming
        .register(inst(app, `h${i}`))
        .subscribe()
        .unsubscribe();
    // etcd has granted the five leases; each must be revoked, not left to expire.
    await waitFor(async () => (await etcd().grpcCalls("LeaseGrant")).handled >= grantsBefore + 5, {
      message: "the five grants answered",
    });
    await waitFor(async () => (await etcd().etcdctl(["lease", "list"])) === before, {
      timeoutMs: 1_000,
      message: "the five leases revoked",
    });
    expect(await etcd().etcdctl(["lease", "list"])).toBe(before);
    expect(await world.get(`/kratos_etcd/${app}/h0`)).toBeUndefined();
  });

  it("lets one app's consumers come and go without disturbing another on the same default client", async () => {
    // A client with etcd3's default fault handling: its circuit breaker opened after three
    // cancelled watch streams in a row.
    const client = new Etcd3({ hosts: etcd().clientOptions().hosts });
    const naming = etcdNaming(client, { lingerMs: 0 });
    const errors: NamingError[] = [];
    naming.errors$.subscribe((e) => errors.push(e));
    try {
      const stay = freshApp();
      const churn = freshApp();
      const watchersAtStart = await etcd().watcherCount();
      const watchers = (count: number, message: string): Promise<unknown> =>
        waitFor(async () => (await etcd().watcherCount()) === count, { message });
      const staying = naming.build(stay).instances$;
      const held = staying.subscribe();
      await watchers(watchersAtStart + 1, "the staying app's watcher");
      for (let round = 0; round < 5; round++) {
        const sub = naming.build(churn).instances$.subscribe();
        await firstValueFrom(naming.build(churn).instances$.pipe(timeout(3_000)));
        sub.unsubscribe();
        await watchers(watchersAtStart + 1, `the churning app's watcher gone (round ${round})`);
      }
      // The last watcher of the stream going away, several times: must not count as failures.
      held.unsubscribe();
      for (let round = 0; round < 4; round++) {
        await firstValueFrom(naming.build(churn).instances$.pipe(timeout(3_000)));
        await watchers(watchersAtStart, `no watcher left (round ${round})`);
      }
      const again = staying.subscribe();
      for (let i = 0; i < 5; i++) await client.put(`/probe/${i}`).value("x").exec();
      await world.put(`/kratos_etcd/${stay}/a`, encodeInstance(inst(stay, "a")));
      await until(staying, (h) => h.includes("a"));
      again.unsubscribe();
      expect(errors.filter((e) => /BrokenCircuit|circuit/i.test(e.message))).toEqual([]);
    } finally {
      await naming.close();
      client.close();
    }
  });
});
