import { filter, firstValueFrom, map, Subject, take, timeout, timer, toArray, type Observable } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Instance, InstancesInfo, Naming, NamingError, RegistrationEvent } from "../../src/index.js";
import { encodeInstance, instance } from "../../src/index.js";

/** A backend under test: namings (clients) on one shared store or cluster, and raw access to it. */
export interface ContractWorld {
  /** A new naming on the shared backend, as another process would have. */
  naming(options?: { ttlSeconds?: number; lingerMs?: number; prefix?: string }): Naming;
  /** Writes a raw value, as another program (etcdctl, a Go service) would. */
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** Closes what the world opened (namings it made, clients). */
  dispose(): Promise<void>;
}

const WAIT = { first: 5_000 };

export const inst = (appId: string, hostname: string, extra: Partial<Instance> = {}): Instance => {
  const result = instance({ appId, hostname, addrs: ["grpc://127.0.0.1:9000"], ...extra });
  if (result._tag === "Left") throw result.left;
  return result.right;
};

export const until = (
  info$: Observable<InstancesInfo>,
  predicate: (hosts: string[]) => boolean,
): Promise<InstancesInfo> =>
  firstValueFrom(
    info$.pipe(
      filter((info) => predicate(info.instances.map((i) => i.hostname))),
      timeout(WAIT),
    ),
  );

export const firstEvent = (events$: Observable<RegistrationEvent>, type: RegistrationEvent["type"]) =>
  firstValueFrom(
    events$.pipe(
      filter((e) => e.type === type),
      timeout(WAIT),
    ),
  );

let unique = 0;
/** A fresh appid per test, so that tests on one backend never see each other. */
export const freshApp = (name = "app"): string =>
  `${name}.${process.pid}.${Date.now().toString(36)}.${unique++}`;

/**
 * The contract every backend keeps (SPEC.md, "The contract"): run against the memory backend and
 * against real etcd, with the same assertions.
 */
export const namingContract = (backendName: string, makeWorld: () => Promise<ContractWorld>): void => {
  describe(`naming contract: ${backendName}`, () => {
    let world: ContractWorld;
    beforeEach(async () => {
      world = await makeWorld();
    });
    afterEach(async () => {
      await world.dispose();
    });

    it("emits the empty set first for an app with no instances", async () => {
      const info = await firstValueFrom(world.naming().build(freshApp()).instances$.pipe(timeout(WAIT)));
      expect(info.instances).toEqual([]);
      expect(Object.isFrozen(info.instances)).toBe(true);
    });

    it("shows an instance registered by another naming, and removes it within 1 s of unsubscribing", async () => {
      const app = freshApp();
      const consumer = world.naming().build(app);
      const events$ = world.naming().register(inst(app, "host-1", { zone: "z1" }));
      const events: RegistrationEvent[] = [];
      const sub = events$.subscribe((e) => events.push(e));
      const seen = await until(consumer.instances$, (h) => h.includes("host-1"));
      expect(seen.instances[0]).toMatchObject({ appId: app, hostname: "host-1", zone: "z1", status: 1 });
      // The put's answer may come after the watch event that it caused.
      await firstValueFrom(
        timer(0, 5).pipe(
          filter(() => events.length > 0),
          timeout(WAIT),
        ),
      );
      expect(events[0]).toMatchObject({ type: "registered", key: `/kratos_etcd/${app}/host-1` });
      sub.unsubscribe();
      const started = Date.now();
      await until(consumer.instances$, (h) => h.length === 0);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await world.get(`/kratos_etcd/${app}/host-1`)).toBeUndefined();
    });

    it("lists instances sorted by hostname, and reads values written by others in Kratos JSON", async () => {
      const app = freshApp();
      // Byte for byte what Kratos v1 writes (SPEC.md), with metadata and addrs as Go's nil.
      await world.put(
        `/kratos_etcd/${app}/host-b`,
        `{"region":"","zone":"sh001","env":"dev","appid":"${app}","hostname":"host-b","addrs":["grpc://10.0.0.5:9000"],"version":"","latest_timestamp":0,"metadata":null,"status":0}`,
      );
      await world.put(`/kratos_etcd/${app}/host-a`, encodeInstance(inst(app, "host-a")));
      const info = await until(world.naming().build(app).instances$, (h) => h.length === 2);
      expect(info.instances.map((i) => i.hostname)).toEqual(["host-a", "host-b"]);
      expect(info.instances[1]).toMatchObject({ status: 0, metadata: {}, zone: "sh001", lastTs: 0 });
    });

    it("fails a second registration of the same key in one naming with Duplicate, leaving the first", async () => {
      const app = freshApp();
      const naming = world.naming();
      const first = naming.register(inst(app, "h"));
      const sub = first.subscribe();
      const error = await firstValueFrom(naming.register(inst(app, "h")).pipe(toArray())).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ _tag: "Duplicate", key: `/kratos_etcd/${app}/h` });
      await until(world.naming().build(app).instances$, (h) => h.includes("h"));
      sub.unsubscribe();
    });

    it("updates the stored value in place for each emission of an Observable<Instance>", async () => {
      const app = freshApp();
      const source = new Subject<Instance>();
      const events: RegistrationEvent[] = [];
      const sub = world
        .naming()
        .register(source)
        .subscribe((e) => events.push(e));
      const consumer = world.naming().build(app).instances$;
      source.next(inst(app, "h", { metadata: { color: "blue" } }));
      await until(consumer.pipe(filter((i) => i.instances[0]?.metadata.color === "blue")), () => true);
      source.next(inst(app, "h", { metadata: { color: "green" } }));
      await until(consumer.pipe(filter((i) => i.instances[0]?.metadata.color === "green")), () => true);
      await firstValueFrom(
        timer(0, 10).pipe(
          filter(() => events.length >= 2),
          timeout(WAIT),
        ),
      );
      expect(events.map((e) => e.type)).toEqual(["registered", "updated"]);
      const [registered, updated] = events as [
        Extract<RegistrationEvent, { leaseId: string }>,
        Extract<RegistrationEvent, { leaseId: string }>,
      ];
      expect(updated.leaseId).toBe(registered.leaseId);
      sub.unsubscribe();
    });

    it("reports undecodable values and misplaced keys on errors$, skipping them and keeping the rest", async () => {
      const app = freshApp();
      const naming = world.naming();
      const errors: NamingError[] = [];
      naming.errors$.subscribe((e) => errors.push(e));
      await world.put(`/kratos_etcd/${app}/good`, encodeInstance(inst(app, "good")));
      const info$ = naming.build(app).instances$;
      await until(info$, (h) => h.includes("good"));
      await world.put(`/kratos_etcd/${app}/bad-json`, "{not json");
      await world.put(
        `/kratos_etcd/${app}/bad-type`,
        JSON.stringify({ appid: app, hostname: "bad-type", status: "up" }),
      );
      await world.put(`/kratos_etcd/${app}/bad-host`, encodeInstance(inst(app, "someone-else")));
      await world.put(`/kratos_etcd/${app}/too/deep`, encodeInstance(inst(app, "deep")));
      await world.put(`/kratos_etcd/${app}/good2`, encodeInstance(inst(app, "good2")));
      const info = await until(info$, (h) => h.includes("good2"));
      expect(info.instances.map((i) => i.hostname)).toEqual(["good", "good2"]);
      const byKey = new Map(errors.map((e) => [e.key, e]));
      expect(byKey.get(`/kratos_etcd/${app}/bad-json`)).toMatchObject({
        _tag: "Decode",
        message: expect.stringMatching(/malformed JSON/),
      });
      expect(byKey.get(`/kratos_etcd/${app}/bad-type`)).toMatchObject({ _tag: "Decode", field: "status" });
      expect(byKey.get(`/kratos_etcd/${app}/bad-host`)).toMatchObject({ _tag: "Decode", field: "hostname" });
      expect(byKey.get(`/kratos_etcd/${app}/too/deep`)).toMatchObject({
        _tag: "Decode",
        message: expect.stringMatching(/layout/),
      });
    });

    it("keeps apps apart: demo never sees demo2 nor keys outside its own prefix", async () => {
      const app = freshApp("demo");
      await world.put(`/kratos_etcd/${app}2/x`, encodeInstance(inst(`${app}2`, "x")));
      await world.put(`/kratos_etcd/${app}/mine`, encodeInstance(inst(app, "mine")));
      const info = await until(world.naming().build(app).instances$, (h) => h.length > 0);
      expect(info.instances.map((i) => i.hostname)).toEqual(["mine"]);
    });

    it("keeps the object identity of unchanged instances across emissions", async () => {
      const app = freshApp();
      await world.put(`/kratos_etcd/${app}/a`, encodeInstance(inst(app, "a")));
      const info$ = world.naming().build(app).instances$;
      const held = info$.subscribe(); // the same watch throughout (lingerMs is 0 here)
      const first = await until(info$, (h) => h.includes("a"));
      await world.put(`/kratos_etcd/${app}/b`, encodeInstance(inst(app, "b")));
      const second = await until(info$, (h) => h.includes("b"));
      expect(second.instances[0]).toBe(first.instances[0]);
      held.unsubscribe();
    });

    it("fetch() waits for the first load, and watch() ticks on every change", async () => {
      const app = freshApp();
      const resolver = world.naming().build(app);
      const fetched = await resolver.fetch()();
      expect(fetched).toMatchObject({ _tag: "Right", right: { appId: app, instances: [] } });
      const ticks = firstValueFrom(resolver.watch().pipe(take(2), toArray(), timeout(WAIT)));
      await world.put(`/kratos_etcd/${app}/a`, encodeInstance(inst(app, "a")));
      expect(await ticks).toHaveLength(2);
    });

    it("resolver.close() completes that resolver only", async () => {
      const app = freshApp();
      const naming = world.naming();
      const one = naming.build(app);
      const two = naming.build(app);
      const oneDone = firstValueFrom(one.instances$.pipe(toArray(), timeout(WAIT)));
      await firstValueFrom(two.instances$);
      await one.close();
      expect((await oneDone).length).toBeGreaterThan(0);
      await world.put(`/kratos_etcd/${app}/a`, encodeInstance(inst(app, "a")));
      await until(two.instances$, (h) => h.includes("a"));
    });

    it("close() completes every instances$ and deletes every registered key", async () => {
      const app = freshApp();
      const naming = world.naming();
      const completed = firstValueFrom(
        naming.build(app).instances$.pipe(
          map(() => 1),
          toArray(),
          timeout(WAIT),
        ),
      );
      naming.register(inst(app, "a")).subscribe();
      naming.register(inst(app, "b")).subscribe();
      const consumer = world.naming().build(app).instances$;
      await until(consumer, (h) => h.length === 2);
      await naming.close();
      await completed;
      await until(consumer, (h) => h.length === 0);
      expect(await world.get(`/kratos_etcd/${app}/a`)).toBeUndefined();
    });

    it("rejects an invalid instance with InvalidInstance naming the field, writing nothing", async () => {
      const app = freshApp();
      const error = await firstValueFrom(
        world.naming().register({ ...inst(app, "a"), addrs: ["::nope"] }),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: "InvalidInstance", field: "addrs[0]" });
      expect(await world.get(`/kratos_etcd/${app}/a`)).toBeUndefined();
    });
  });
};
