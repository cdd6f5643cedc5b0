import { filter, firstValueFrom, map, Subject, take, timeout, timer, toArray, type Observable } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  Instance,
  InstancesInfo,
  LayoutName,
  Naming,
  NamingError,
  RegistrationEvent,
} from "../../src/index.js";
import { instance } from "../../src/index.js";
import { kratosV1Fixture, type LayoutFixture } from "./layout-fixtures.js";

/** A backend under test: namings (clients) on one shared store or cluster, and raw access to it. */
export interface ContractWorld {
  /** A new naming on the shared backend, as another process would have. */
  naming(options?: { ttlSeconds?: number; lingerMs?: number; prefix?: string; layout?: LayoutName }): Naming;
  /** Writes a raw value, as another program (etcdctl, a Go service) would. */
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** The keys under a prefix, in key order. */
  keys(prefix: string): Promise<string[]>;
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

/** The registered event of a registration, once it came. */
const registeredIn = async (
  events: readonly RegistrationEvent[],
): Promise<Extract<RegistrationEvent, { type: "registered" }>> => {
  await firstValueFrom(
    timer(0, 5).pipe(
      filter(() => events.some((e) => e.type === "registered")),
      timeout(WAIT),
    ),
  );
  return events.find((e) => e.type === "registered") as Extract<RegistrationEvent, { type: "registered" }>;
};

/**
 * The contract every backend keeps: run against the memory backend and
 * against real etcd, with the same assertions, in each key layout (`fixture` says where that
 * layout puts keys and how its values look; Kratos v1 by default).
 */
/** Where a backend's own semantics differ from the contract, each said in the test's name. */
export interface ContractDifferences {
  /**
   * "merged": the server keeps one instance per name and tells no registration it was replaced
   * (bilibili discovery): a second registration replaces the value, and both go on renewing it.
   */
  readonly takeover?: "merged";
}

export const namingContract = (
  backendName: string,
  makeWorld: () => Promise<ContractWorld>,
  fixture: LayoutFixture = kratosV1Fixture,
  differences: ContractDifferences = {},
): void => {
  const L = fixture;
  describe(`naming contract: ${backendName}, ${L.layout} layout`, () => {
    let world: ContractWorld;
    const naming = (options: { ttlSeconds?: number; lingerMs?: number } = {}): Naming =>
      world.naming({ ...options, layout: L.layout });
    /** Writes instance `name` of `app` as the layout's own writers would. */
    const putInstance = (app: string, name: string, port?: number) =>
      world.put(L.key(app, L.id(name)), L.value(app, L.id(name), port));
    beforeEach(async () => {
      world = await makeWorld();
    });
    afterEach(async () => {
      await world.dispose();
    });

    it("emits the empty set first for an app with no instances", async () => {
      const info = await firstValueFrom(naming().build(freshApp()).instances$.pipe(timeout(WAIT)));
      expect(info.instances).toEqual([]);
      expect(Object.isFrozen(info.instances)).toBe(true);
    });

    it("shows an instance registered by another naming, and removes it within 1 s of unsubscribing", async () => {
      const app = freshApp();
      const consumer = naming().build(app);
      const registeredInstance = inst(app, "host-1", { zone: "z1", metadata: { color: "blue" } });
      const events: RegistrationEvent[] = [];
      const sub = naming()
        .register(registeredInstance)
        .subscribe((e) => events.push(e));
      const registered = await registeredIn(events);
      const id = L.registeredId("host-1", registered.leaseId);
      expect(registered).toMatchObject({ type: "registered", key: L.key(app, id) });
      const seen = await until(consumer.instances$, (h) => h.includes(id));
      expect(seen.instances[0]).toMatchObject(L.readBack(registeredInstance, registered.leaseId));
      sub.unsubscribe();
      const started = Date.now();
      await until(consumer.instances$, (h) => h.length === 0);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await world.get(L.key(app, id))).toBeUndefined();
    });

    it("lists instances sorted by hostname, and reads values written by others in the layout's format", async () => {
      const app = freshApp();
      const foreign = L.foreign(app, L.id("host-b"));
      await world.put(L.key(app, L.id("host-b")), foreign.value);
      await putInstance(app, "host-a");
      const info = await until(naming().build(app).instances$, (h) => h.length === 2);
      expect(info.instances.map((i) => i.hostname)).toEqual([L.id("host-a"), L.id("host-b")]);
      expect(info.instances[1]).toMatchObject({ appId: app, ...foreign.reads });
    });

    it("fails a second registration of the same key in one naming with Duplicate, leaving the first", async () => {
      const app = freshApp();
      const one = naming();
      const events: RegistrationEvent[] = [];
      const sub = one.register(inst(app, "h")).subscribe((e) => events.push(e));
      const duplicate = () =>
        firstValueFrom(one.register(inst(app, "h")).pipe(toArray())).catch((e: unknown) => e);
      // At once, before the first is written; and after, when the error names its key.
      expect(await duplicate()).toMatchObject({ _tag: "Duplicate" });
      const registered = await registeredIn(events);
      const id = L.registeredId("h", registered.leaseId);
      expect(await duplicate()).toMatchObject({ _tag: "Duplicate", key: L.key(app, id) });
      await until(naming().build(app).instances$, (h) => h.includes(id));
      expect(events.map((e) => e.type)).toEqual(["registered"]);
      sub.unsubscribe();
    });

    const itMerged = differences.takeover === "merged" ? it : undefined;
    const itTakesOver = differences.takeover === undefined ? it : undefined;
    // One of the two runs, by the backend's semantics: a backend that merges has no takeover to test.
    itMerged?.(
      "a newer registration of the same instance replaces its value; neither is told (the server keeps one per hostname)",
      async () => {
        const app = freshApp();
        const on = (port: number) => inst(app, "h", { addrs: [`grpc://127.0.0.1:${port}`] });
        const errors: unknown[] = [];
        const olderEvents: RegistrationEvent[] = [];
        const newerEvents: RegistrationEvent[] = [];
        const olderSub = naming()
          .register(on(9001))
          .subscribe({ next: (e) => olderEvents.push(e), error: (e: unknown) => errors.push(e) });
        await registeredIn(olderEvents);
        const newerSub = naming()
          .register(on(9002))
          .subscribe({ next: (e) => newerEvents.push(e), error: (e: unknown) => errors.push(e) });
        await registeredIn(newerEvents);
        const info = await until(naming().build(app).instances$, (h) => h.length === 1);
        expect(info.instances.map((i) => i.hostname)).toEqual(["h"]);
        await firstValueFrom(
          naming()
            .build(app)
            .instances$.pipe(
              filter((i) => i.instances[0]?.addrs[0] === "grpc://127.0.0.1:9002"),
              timeout(WAIT),
            ),
        );
        expect(errors).toEqual([]);
        olderSub.unsubscribe();
        newerSub.unsubscribe();
      },
    );

    itTakesOver?.(
      "lets a newer registration of the same instance (another naming, as another process) take the key over; the older errors with Duplicate within 1 s and leaves the key",
      async () => {
        const app = freshApp();
        const older = naming();
        const newer = naming();
        const on = (port: number) => inst(app, "h", { addrs: [`grpc://127.0.0.1:${port}`] });
        const olderEvents: RegistrationEvent[] = [];
        let olderError: unknown;
        older.register(on(9001)).subscribe({
          next: (e) => olderEvents.push(e),
          error: (e: unknown) => (olderError = e),
        });
        const first = await registeredIn(olderEvents);
        const newerEvents: RegistrationEvent[] = [];
        const newerSub = newer.register(on(9002)).subscribe((e) => newerEvents.push(e));
        const second = await registeredIn(newerEvents);
        const consumer = naming().build(app).instances$;
        if (second.key !== first.key) {
          // A layout that names keys by lease (go-zero) gives each registration its own key.
          await until(consumer, (h) => h.length === 2);
          expect(olderError).toBeUndefined();
          newerSub.unsubscribe();
          return;
        }
        const taken = Date.now();
        await firstValueFrom(
          timer(0, 5).pipe(
            filter(() => olderError !== undefined),
            timeout({ first: 1_000 }),
          ),
        ).catch(() => {
          throw new Error(
            `the older registration did not learn within 1 s; its events: ${JSON.stringify(olderEvents)}`,
          );
        });
        expect(Date.now() - taken).toBeLessThan(1_000);
        expect(olderError).toMatchObject({ _tag: "Duplicate", key: first.key, recoverable: false });
        expect((olderError as NamingError).message).toContain(second.leaseId);
        // The older one's teardown (its lease revoked, its naming closed) leaves the newer's key.
        await older.close();
        expect(await world.get(first.key)).toContain("127.0.0.1:9002");
        const info = await until(consumer, (h) => h.includes(L.registeredId("h", second.leaseId)));
        expect(info.instances[0]?.addrs).toEqual(["grpc://127.0.0.1:9002"]);
        expect(newerEvents.map((e) => e.type)).toEqual(["registered"]);
        expect(olderEvents.map((e) => e.type)).toEqual(["registered"]);
        newerSub.unsubscribe();
      },
    );

    it("updates the stored value in place for each emission of an Observable<Instance>", async () => {
      const app = freshApp();
      const source = new Subject<Instance>();
      const events: RegistrationEvent[] = [];
      const sub = naming()
        .register(source)
        .subscribe((e) => events.push(e));
      const consumer = naming().build(app).instances$;
      // The address: the one field every layout keeps.
      const on = (port: number) => inst(app, "h", { addrs: [`grpc://127.0.0.1:${port}`] });
      const serving = (port: number) =>
        until(
          consumer.pipe(filter((i) => i.instances[0]?.addrs[0] === `grpc://127.0.0.1:${port}`)),
          () => true,
        );
      source.next(on(9001));
      await serving(9001);
      source.next(on(9002));
      await serving(9002);
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
      expect(updated.key).toBe(registered.key);
      sub.unsubscribe();
    });

    it("reports undecodable values and misplaced keys on errors$, skipping them and keeping the rest", async () => {
      const app = freshApp();
      const one = naming();
      const errors: NamingError[] = [];
      one.errors$.subscribe((e) => errors.push(e));
      await putInstance(app, "good");
      const info$ = one.build(app).instances$;
      await until(info$, (h) => h.includes(L.id("good")));
      const malformed = L.malformed(app);
      for (const m of malformed) await world.put(L.key(app, L.id(m.name)), m.value);
      await world.put(L.misfit(app), L.value(app, L.id("good")));
      await putInstance(app, "good2");
      const info = await until(info$, (h) => h.includes(L.id("good2")));
      expect(info.instances.map((i) => i.hostname)).toEqual([L.id("good"), L.id("good2")]);
      const byKey = new Map(errors.map((e) => [e.key, e]));
      for (const m of malformed) {
        expect(byKey.get(L.key(app, L.id(m.name)))).toMatchObject({ _tag: "Decode", ...m.error });
      }
      expect(byKey.get(L.misfit(app))).toMatchObject({
        _tag: "Decode",
        message: expect.stringMatching(/layout/),
      });
    });

    it("keeps apps apart: demo never sees demo2 nor keys outside its own prefix", async () => {
      const app = freshApp("demo");
      await putInstance(`${app}2`, "x");
      await putInstance(app, "mine");
      const info = await until(naming().build(app).instances$, (h) => h.length > 0);
      expect(info.instances.map((i) => i.hostname)).toEqual([L.id("mine")]);
    });

    it("keeps the object identity of unchanged instances across emissions", async () => {
      const app = freshApp();
      await putInstance(app, "a");
      const info$ = naming().build(app).instances$;
      const held = info$.subscribe(); // the same watch throughout (lingerMs is 0 here)
      const first = await until(info$, (h) => h.includes(L.id("a")));
      await putInstance(app, "b");
      const second = await until(info$, (h) => h.includes(L.id("b")));
      expect(second.instances[0]).toBe(first.instances[0]);
      held.unsubscribe();
    });

    it("fetch() waits for the first load, and watch() ticks on every change", async () => {
      const app = freshApp();
      const resolver = naming().build(app);
      const fetched = await resolver.fetch()();
      expect(fetched).toMatchObject({ _tag: "Right", right: { appId: app, instances: [] } });
      const ticks = firstValueFrom(resolver.watch().pipe(take(2), toArray(), timeout(WAIT)));
      await putInstance(app, "a");
      expect(await ticks).toHaveLength(2);
    });

    it("resolver.close() completes that resolver only", async () => {
      const app = freshApp();
      const one = naming();
      const first = one.build(app);
      const second = one.build(app);
      const firstDone = firstValueFrom(first.instances$.pipe(toArray(), timeout(WAIT)));
      await firstValueFrom(second.instances$);
      await first.close();
      expect((await firstDone).length).toBeGreaterThan(0);
      await putInstance(app, "a");
      await until(second.instances$, (h) => h.includes(L.id("a")));
    });

    it("close() completes every instances$ and deletes every registered key", async () => {
      const app = freshApp();
      const one = naming();
      const completed = firstValueFrom(
        one.build(app).instances$.pipe(
          map(() => 1),
          toArray(),
          timeout(WAIT),
        ),
      );
      const events: RegistrationEvent[] = [];
      one.register(inst(app, "a")).subscribe((e) => events.push(e));
      one.register(inst(app, "b")).subscribe();
      const consumer = naming().build(app).instances$;
      await until(consumer, (h) => h.length === 2);
      const registered = await registeredIn(events);
      expect(registered.key).toBe(L.key(app, L.registeredId("a", registered.leaseId)));
      await one.close();
      await completed;
      await until(consumer, (h) => h.length === 0);
      expect(await world.get(registered.key)).toBeUndefined();
      expect(await world.keys(L.appPrefix(app))).toEqual([]);
    });

    it("rejects an invalid instance with InvalidInstance naming the field, writing nothing", async () => {
      const app = freshApp();
      const error = await firstValueFrom(naming().register({ ...inst(app, "a"), addrs: ["::nope"] })).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ _tag: "InvalidInstance", field: "addrs[0]" });
      expect(await world.keys(L.appPrefix(app))).toEqual([]);
    });
  });
};
