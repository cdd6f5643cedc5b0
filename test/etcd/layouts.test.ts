import { filter, firstValueFrom, timeout } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Instance, LayoutName, NamingError, RegistrationEvent } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

/** A key's value exactly as etcd holds it (`get -w json` gives base64 bytes, no trailing newline). */
const rawGet = async (key: string): Promise<string | undefined> => {
  const out = JSON.parse(await etcd().etcdctl(["get", key, "-w", "json"])) as {
    kvs?: Array<{ value: string }>;
  };
  const value = out.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};

/** The keys a lease holds, as etcdctl lists them (lease ids are decimal strings: hex for etcdctl). */
const leaseKeys = (leaseId: string): Promise<string> =>
  etcd().etcdctl(["lease", "timetolive", BigInt(leaseId).toString(16), "--keys"]);

const registered = async (events: RegistrationEvent[]) => {
  await waitFor(() => events.length > 0, { timeoutMs: 5_000 });
  expect(events[0]?.type).toBe("registered");
  return events[0] as Extract<RegistrationEvent, { type: "registered" }>;
};

describe("key layouts on etcd", () => {
  let world: EtcdWorld;
  beforeEach(() => {
    world = new EtcdWorld(() => etcd().clientOptions());
  });
  afterEach(async () => {
    await world.dispose();
  });

  describe("kratos-v2", () => {
    it("discovers what Kratos v2's etcd registry writes, byte for byte", async () => {
      const app = freshApp("helloworld");
      const id = "6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f";
      const value = `{"id":"${id}","name":"${app}","version":"v1.0.0","metadata":{"region":"sh","zone":"a"},"endpoints":["grpc://10.0.0.5:9000?isSecure=false","http://10.0.0.5:8000?isSecure=false"]}`;
      await etcd().etcdctl(["put", `/microservices/${app}/${id}`, value]);
      await etcd().etcdctl([
        "put",
        `/microservices/${app}/host-2`,
        `{"id":"host-2","name":"${app}","version":"","metadata":null,"endpoints":null}`,
      ]);
      const info = await until(
        world.naming({ layout: "kratos-v2" }).build(app).instances$,
        (h) => h.length === 2,
      );
      expect(info.instances).toEqual([
        {
          region: "",
          zone: "",
          env: "",
          appId: app,
          hostname: id,
          addrs: ["grpc://10.0.0.5:9000?isSecure=false", "http://10.0.0.5:8000?isSecure=false"],
          version: "v1.0.0",
          lastTs: 0,
          metadata: { region: "sh", zone: "a" },
          status: 1,
        },
        expect.objectContaining({ hostname: "host-2", addrs: [], metadata: {} }),
      ]);
    });

    it("registers in exactly Kratos v2's shape, under a lease", async () => {
      const app = freshApp("helloworld");
      const events: RegistrationEvent[] = [];
      const sub = world
        .naming({ layout: "kratos-v2", ttlSeconds: 15 })
        .register(
          inst(app, "host-1", {
            version: "v2",
            zone: "not-in-v2",
            metadata: { zone: "a", color: "<blue>" },
            addrs: ["grpc://10.0.0.5:9000", "http://10.0.0.5:8000"],
          }),
        )
        .subscribe((e) => events.push(e));
      const { key, leaseId } = await registered(events);
      expect(key).toBe(`/microservices/${app}/host-1`);
      expect(await rawGet(key)).toBe(
        `{"id":"host-1","name":"${app}","version":"v2","metadata":{"color":"\\u003cblue\\u003e","zone":"a"},"endpoints":["grpc://10.0.0.5:9000","http://10.0.0.5:8000"]}`,
      );
      expect(await leaseKeys(leaseId)).toMatch(/granted with TTL\(15s\)/);
      sub.unsubscribe();
      await waitFor(async () => (await rawGet(key)) === undefined, { timeoutMs: 1_000 });
    });

    it("refuses an appid with '/' at register and build with InvalidInstance", async () => {
      const naming = world.naming({ layout: "kratos-v2" });
      const error = await firstValueFrom(naming.register(inst("svc/echo", "h"))).catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: "InvalidInstance", field: "appId" });
      const built = await naming.build("svc/echo").fetch()();
      expect(built).toMatchObject({ _tag: "Left", left: { _tag: "InvalidInstance" } });
    });
  });

  describe("etcd-endpoints", () => {
    it("discovers what etcd's Go endpoints manager writes, byte for byte, with the target as appid", async () => {
      const target = `${freshApp("svc")}/echo`;
      await etcd().etcdctl([
        "put",
        `${target}/10.0.0.5:50051`,
        '{"Op":0,"Addr":"10.0.0.5:50051","Metadata":null}',
      ]);
      await etcd().etcdctl([
        "put",
        `${target}/10.0.0.6:50051`,
        '{"Op":0,"Addr":"10.0.0.6:50051","Metadata":{"weight":10,"zone":"a"}}',
      ]);
      const info = await until(
        world.naming({ layout: "etcd-endpoints" }).build(target).instances$,
        (h) => h.length === 2,
      );
      expect(info.instances).toEqual([
        {
          region: "",
          zone: "",
          env: "",
          appId: target,
          hostname: "10.0.0.5:50051",
          addrs: ["grpc://10.0.0.5:50051"],
          version: "",
          lastTs: 0,
          metadata: {},
          status: 1,
        },
        expect.objectContaining({ hostname: "10.0.0.6:50051", metadata: { weight: "10", zone: "a" } }),
      ]);
    });

    it("registers in exactly the Go client's shape, under a lease", async () => {
      const target = `${freshApp("svc")}/echo`;
      const events: RegistrationEvent[] = [];
      const sub = world
        .naming({ layout: "etcd-endpoints" })
        .register(inst(target, "10.0.0.7:50051", { addrs: ["grpc://10.0.0.7:50051"], metadata: { w: "1" } }))
        .subscribe((e) => events.push(e));
      const { key, leaseId } = await registered(events);
      expect(key).toBe(`${target}/10.0.0.7:50051`);
      expect(await rawGet(key)).toBe('{"Op":0,"Addr":"10.0.0.7:50051","Metadata":{"w":"1"}}');
      expect(await leaseKeys(leaseId)).toContain(key);
      sub.unsubscribe();
    });

    it("keeps nested targets apart: svc and svc/echo do not see each other", async () => {
      const svc = freshApp("svc");
      const naming = world.naming({ layout: "etcd-endpoints" });
      const errors: NamingError[] = [];
      naming.errors$.subscribe((e) => errors.push(e));
      const outer = naming.build(svc).instances$;
      const inner = naming.build(`${svc}/echo`).instances$;
      const a = naming.register(inst(svc, "10.0.0.1:1", { addrs: ["grpc://10.0.0.1:1"] })).subscribe();
      const b = naming
        .register(inst(`${svc}/echo`, "10.0.0.2:2", { addrs: ["grpc://10.0.0.2:2"] }))
        .subscribe();
      await etcd().etcdctl(["put", `${svc}/echo/deeper/10.0.0.3:3`, '{"Op":0,"Addr":"10.0.0.3:3"}']);
      const outerInfo = await until(outer, (h) => h.length > 0);
      const innerInfo = await until(inner, (h) => h.length > 0);
      // Both watches have seen the deeper key by now: a later put is in order after it.
      await etcd().etcdctl(["put", `${svc}/10.0.0.9:9`, '{"Op":0,"Addr":"10.0.0.9:9"}']);
      await until(outer, (h) => h.includes("10.0.0.9:9"));
      expect(outerInfo.instances.map((i) => i.hostname)).toEqual(["10.0.0.1:1"]);
      expect(innerInfo.instances.map((i) => i.hostname)).toEqual(["10.0.0.2:2"]);
      expect(errors).toEqual([]);
      a.unsubscribe();
      b.unsubscribe();
    });
  });

  describe("go-zero", () => {
    it("discovers what go-zero's publisher writes: key/<lease id past 2^53>, a bare host:port", async () => {
      const key = `${freshApp("app")}/user.rpc`;
      await etcd().etcdctl(["put", `${key}/7587862073119283205`, "10.0.0.5:8080"]);
      const info = await until(
        world.naming({ layout: "go-zero" }).build(key).instances$,
        (h) => h.length === 1,
      );
      expect(info.instances).toEqual([
        {
          region: "",
          zone: "",
          env: "",
          appId: key,
          hostname: "7587862073119283205",
          addrs: ["grpc://10.0.0.5:8080"],
          version: "",
          lastTs: 0,
          metadata: {},
          status: 1,
        },
      ]);
    });

    it("registers as go-zero does: the lease id in decimal in the key, host:port as the value", async () => {
      const key = `${freshApp("app")}/user.rpc`;
      const events: RegistrationEvent[] = [];
      const naming = world.naming({ layout: "go-zero", ttlSeconds: 10 });
      const sub = naming
        .register(inst(key, "host-1", { addrs: ["http://10.0.0.5:8888", "grpc://10.0.0.5:8080"] }))
        .subscribe((e) => events.push(e));
      const event = await registered(events);
      expect(event.leaseId).toMatch(/^[1-9][0-9]*$/);
      expect(event.key).toBe(`${key}/${event.leaseId}`);
      expect(await rawGet(event.key)).toBe("10.0.0.5:8080");
      const lease = await leaseKeys(event.leaseId);
      expect(lease).toMatch(/granted with TTL\(10s\)/);
      expect(lease).toContain(event.key);
      // It reads back with the lease id as its hostname.
      const info = await until(
        world.naming({ layout: "go-zero" }).build(key).instances$,
        (h) => h.length === 1,
      );
      expect(info.instances[0]).toMatchObject({ hostname: event.leaseId, addrs: ["grpc://10.0.0.5:8080"] });
      sub.unsubscribe();
      await waitFor(async () => (await rawGet(event.key)) === undefined, { timeoutMs: 1_000 });
    });

    it("moves the key with the lease: a lost lease registers again under the new lease id", async () => {
      const key = freshApp("app");
      const events: RegistrationEvent[] = [];
      const sub = world
        .naming({ layout: "go-zero", ttlSeconds: 3 })
        .register(inst(key, "host-1", { addrs: ["grpc://10.0.0.5:8080"] }))
        .subscribe((e) => events.push(e));
      const first = await registered(events);
      const consumer = world.naming({ layout: "go-zero" }).build(key).instances$;
      await until(consumer, (h) => h.includes(first.leaseId));
      await etcd().etcdctl(["lease", "revoke", BigInt(first.leaseId).toString(16)]);
      const again = () => events.filter((e) => e.type === "registered");
      await waitFor(() => again().length === 2, { timeoutMs: 10_000 });
      const second = again()[1] as Extract<RegistrationEvent, { type: "registered" }>;
      expect(events.map((e) => e.type)).toEqual(["registered", "lost", "registered"]);
      expect(second.leaseId).not.toBe(first.leaseId);
      expect(second.key).toBe(`${key}/${second.leaseId}`);
      await until(consumer, (h) => h.length === 1 && h[0] === second.leaseId);
      expect(await rawGet(first.key)).toBeUndefined();
      expect(await rawGet(second.key)).toBe("10.0.0.5:8080");
      sub.unsubscribe();
    });

    it("refuses to register an instance without a grpc:// address, writing nothing", async () => {
      const key = freshApp("app");
      const error = await firstValueFrom(
        world.naming({ layout: "go-zero" }).register(inst(key, "h", { addrs: ["http://10.0.0.5:8888"] })),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: "InvalidInstance", field: "addrs" });
      expect(await etcd().etcdctl(["get", `${key}/`, "--prefix", "--keys-only"])).toBe("");
    });
  });

  it("keeps namings of different layouts on one etcd apart, the same appid in each", async () => {
    const app = freshApp("shared");
    const layouts: LayoutName[] = ["kratos-v1", "kratos-v2", "etcd-endpoints", "go-zero"];
    const subs = layouts.map((layout, n) =>
      world
        .naming({ layout })
        .register(inst(app, `10.0.0.${n + 1}:9000`, { addrs: [`grpc://10.0.0.${n + 1}:9000`] }))
        .subscribe(),
    );
    const seen = await Promise.all(
      layouts.map((layout) =>
        firstValueFrom(
          world
            .naming({ layout })
            .build(app)
            .instances$.pipe(
              filter((info) => info.instances.length > 0),
              timeout(5_000),
            ),
        ),
      ),
    );
    // Every naming has seen its own, so all four keys are written: fresh namings read them all.
    const addrsOf = (instances: readonly Instance[]) => instances.map((i) => i.addrs[0]);
    const errors = layouts.map(() => [] as NamingError[]);
    const settled = await Promise.all(
      layouts.map((layout, n) => {
        const naming = world.naming({ layout });
        naming.errors$.subscribe((e) => errors[n]!.push(e));
        return firstValueFrom(naming.build(app).instances$.pipe(timeout(5_000)));
      }),
    );
    for (const [n, info] of [...seen, ...settled].entries()) {
      expect(addrsOf(info.instances)).toEqual([`grpc://10.0.0.${(n % 4) + 1}:9000`]);
    }
    // Kratos' layouts have prefixes of their own. etcd-endpoints and go-zero have none, so the
    // same appid in both shares "<appid>/": each skips the other's key, and says so.
    expect(errors[0]).toEqual([]);
    expect(errors[1]).toEqual([]);
    expect(errors[2]).toEqual([
      expect.objectContaining({
        _tag: "Decode",
        key: expect.stringMatching(new RegExp(`^${app.replaceAll(".", "\\.")}/[0-9]+$`)),
      }),
    ]);
    expect(errors[3]).toEqual([
      expect.objectContaining({
        _tag: "Decode",
        key: `${app}/10.0.0.3:9000`,
        message: expect.stringMatching(/lease id/),
      }),
    ]);
    for (const sub of subs) sub.unsubscribe();
  });
});
