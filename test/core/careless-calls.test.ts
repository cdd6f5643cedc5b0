// What a caller in a hurry passes (null, a string, a number, a misspelled key), at every public
// entry of the namings and operators: an InvalidOption that names the option, an InvalidInstance,
// or a Left; never a TypeError, never a recoverable Backend error.
import * as E from "fp-ts/lib/Either.js";
import { firstValueFrom, of } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import {
  addrs,
  buildOptions,
  etcdNaming,
  filterInstances,
  instance,
  isNamingError,
  memoryNaming,
  preferZone,
  subset,
  zookeeperNaming,
  type Naming,
} from "../../src/index.js";
import { decodeInstance } from "../../src/model/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { closestName } from "../../src/model/options.js";

const thrownBy = (make: () => unknown): unknown => {
  try {
    make();
  } catch (e) {
    return e;
  }
  return undefined;
};

const namings: Naming[] = [];
afterEach(async () => {
  await Promise.all(namings.splice(0).map((n) => n.close()));
});
const keep = (n: unknown): unknown => (
  typeof n === "object" && n !== null && "close" in n && namings.push(n as Naming),
  n
);

const expectInvalidOption = (make: () => unknown, field: string, message?: RegExp): void => {
  const e = thrownBy(() => keep(make()));
  expect(isNamingError(e), `${String(make)} threw ${String(e)}`).toBe(true);
  expect(e).toMatchObject({ _tag: "InvalidOption", field });
  if (message !== undefined) expect((e as Error).message).toMatch(message);
};

type Case = [string, () => unknown, string, RegExp?];

describe("careless calls of the namings", () => {
  it.each<Case>([
    ["memoryNaming(null)", () => memoryNaming(null as never), "memoryNaming options", /got null/],
    ["memoryNaming(5)", () => memoryNaming(5 as never), "memoryNaming options", /got the number 5/],
    ["memoryNaming({ prefix: 5 })", () => memoryNaming({ prefix: 5 as never }), "prefix", /string.*number 5/],
    ["memoryNaming({ ttl: 5 })", () => memoryNaming({ ttl: 5 } as never), "ttl", /did you mean "ttlSeconds"/],
    ["memoryNaming({ lingerms: 5 })", () => memoryNaming({ lingerms: 5 } as never), "lingerms", /"lingerMs"/],
    [
      "memoryNaming({ ttlSeconds: '30' })",
      () => memoryNaming({ ttlSeconds: "30" as never }),
      "ttlSeconds",
      /got a string/,
    ],
    [
      "memoryNaming({ ttlSeconds: 1e10 })",
      () => memoryNaming({ ttlSeconds: 1e10 }),
      "ttlSeconds",
      /9000000000/,
    ],
    ["memoryNaming({ layout: 5 })", () => memoryNaming({ layout: 5 as never }), "layout"],
    ["etcdNaming()", () => (etcdNaming as (...a: unknown[]) => unknown)(), "client", /got undefined/],
    ["etcdNaming(null)", () => etcdNaming(null as never), "client", /got null/],
    ["etcdNaming('url')", () => etcdNaming("http://127.0.0.1:2379" as never), "client", /got a string/],
    ["etcdNaming(5)", () => etcdNaming(5 as never), "client", /got the number 5/],
    ["etcdNaming({ hosts: [] })", () => etcdNaming({ hosts: [] }), "hosts", /at least one/],
    ["etcdNaming({ hosts: 5 })", () => etcdNaming({ hosts: 5 as never }), "hosts"],
    ["etcdNaming({ hosts: [''] })", () => etcdNaming({ hosts: [""] }), "hosts"],
    [
      "etcdNaming(opts, null)",
      () => etcdNaming({ hosts: "http://127.0.0.1:1" }, null as never),
      "etcdNaming options",
      /got null/,
    ],
    [
      "etcdNaming(opts, { ttl })",
      () => etcdNaming({ hosts: "http://127.0.0.1:1" }, { ttl: 5 } as never),
      "ttl",
      /"ttlSeconds"/,
    ],
    [
      "etcdNaming(opts, { ttlSeconds: 9e9 + 1 })",
      () => etcdNaming({ hosts: "http://127.0.0.1:1" }, { ttlSeconds: 9e9 + 1 }),
      "ttlSeconds",
      /9000000000/,
    ],
    [
      "etcdNaming(opts, { backoff: { initialMs: '1' } })",
      () => etcdNaming({ hosts: "http://127.0.0.1:1" }, { backoff: { initialMs: "1" as never } }),
      "backoff.initialMs",
      /got a string/,
    ],
    [
      "etcdNaming(opts, { watch: { probe: 1 } })",
      () => etcdNaming({ hosts: "http://127.0.0.1:1" }, { watch: { probe: 1 } as never }),
      "probe",
      /"probeMs"/,
    ],
    [
      "zookeeperNaming({ servers, backoff: null })",
      () => zookeeperNaming({ servers: "127.0.0.1:1", backoff: null as never }),
      "backoff",
      /got null/,
    ],
    [
      "zookeeperNaming({ servers, rot })",
      () => zookeeperNaming({ servers: "127.0.0.1:1", rot: "/x" } as never),
      "rot",
      /"root"/,
    ],
    ["zookeeperNaming({ servers: 5 })", () => zookeeperNaming({ servers: 5 as never }), "servers"],
  ])("%s is an InvalidOption naming the option", (_, make, field, message) =>
    expectInvalidOption(make, field, message),
  );

  it("etcdNaming at the etcd maximum TTL is accepted", async () => {
    const naming = etcdNaming({ hosts: "http://127.0.0.1:1" }, { ttlSeconds: 9_000_000_000 });
    await naming.close();
  });

  it("build(app, null) and build(app, { zones }) are InvalidOptions", () => {
    const naming = keep(memoryNaming()) as Naming;
    expectInvalidOption(() => naming.build("demo", null as never), "build options", /got null/);
    expectInvalidOption(() => naming.build("demo", { zones: "a" } as never), "zones", /"zone"/);
  });

  it.each([
    ["null", null, "register options", /got null/],
    ["a misspelled ttl", { ttl: 5 }, "ttl", /"ttlSeconds"/],
    ["a TTL above etcd's maximum", { ttlSeconds: 9e9 + 1 }, "ttlSeconds", /9000000000/],
    ["a string TTL", { ttlSeconds: "30" }, "ttlSeconds", /got a string/],
  ])("register(instance, %s) errors with a final InvalidOption", async (_, options, field, message) => {
    const naming = keep(memoryNaming()) as Naming;
    const i = instance({ appId: "demo", hostname: "h1", addrs: ["grpc://10.0.0.1:9000"] });
    if (E.isLeft(i)) throw i.left;
    const error = await firstValueFrom(naming.register(of(i.right), options as never)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ _tag: "InvalidOption", field, recoverable: false });
    expect((error as Error).message).toMatch(message);
  });

  it("ZooKeeper appIds and hostnames '.' and '..' are InvalidInstance, not the client's AssertionError", async () => {
    const naming = keep(zookeeperNaming({ servers: "127.0.0.1:1" })) as Naming;
    for (const appId of [".", ".."]) {
      const fetched = await naming.build(appId).fetch()();
      expect(E.isLeft(fetched) && fetched.left).toMatchObject({ _tag: "InvalidInstance", field: "appId" });
    }
    for (const [appId, hostname] of [
      [".", "h1"],
      ["demo", ".."],
      ["demo", "."],
    ] as const) {
      const i = instance({ appId, hostname, addrs: ["grpc://10.0.0.1:9000"] });
      if (E.isLeft(i)) throw i.left;
      const error = await firstValueFrom(naming.register(i.right)).catch((e: unknown) => e);
      expect(error).toMatchObject({ _tag: "InvalidInstance" });
    }
  });
});

describe("careless calls of the operators and the codec", () => {
  it.each<Case>([
    ["subset(2, null)", () => subset(2, null as never), "clientId", /got null/],
    ["subset(2, 'id', null)", () => subset(2, "id", null as never), "subset options", /got null/],
    ["subset(2, 'id', { algorithm: 'x' })", () => subset(2, "id", { algorithm: "x" as never }), "algorithm"],
    ["subset('2', 'id')", () => subset("2" as never, "id"), "subset size", /got a string/],
    ["preferZone(z, null)", () => preferZone("z", null as never), "preferZone options", /got null/],
    ["preferZone(5)", () => preferZone(5 as never), "zone"],
    ["preferZone(z, { min: 2 })", () => preferZone("z", { min: 2 } as never), "min", /"minInstances"/],
    ["filterInstances(null)", () => filterInstances(null as never), "filter", /got null/],
    ["filterInstances({ zones: 'a' })", () => filterInstances({ zones: "a" } as never), "zones", /"zone"/],
    ["filterInstances({ status: '1' })", () => filterInstances({ status: "1" as never }), "status"],
    ["buildOptions(null)", () => buildOptions(null as never), "build options", /got null/],
    ["buildOptions({ subset: '3' })", () => buildOptions({ subset: "3" as never }), "subset"],
    [
      "buildOptions({ subset: { sise: 3 } })",
      () => buildOptions({ subset: { sise: 3 } as never }),
      "sise",
      /"size"/,
    ],
    ["addrs()", () => (addrs as (...a: unknown[]) => unknown)(), "scheme", /got undefined/],
    ["addrs(5)", () => addrs(5 as never), "scheme", /got the number 5/],
    ["addrs('grpc', { format: 'x' })", () => addrs("grpc", { format: "x" as never }), "format"],
  ])("%s is an InvalidOption naming the option", (_, make, field, message) =>
    expectInvalidOption(make, field, message),
  );

  it("encodeInstance(null) and of a non-instance throw InvalidInstance", () => {
    for (const bad of [null, 5, {}, { appId: "demo", hostname: "h", addrs: "x" }]) {
      const e = thrownBy(() => encodeInstance(bad as never));
      expect(e).toMatchObject({ _tag: "InvalidInstance" });
    }
  });

  it("decodeInstance(null) gives a Left, and so does a value that is not a string", () => {
    for (const ctx of [null, 5, "key", {}]) {
      const result = (() => {
        try {
          return decodeInstance(ctx as never)("{}");
        } catch (e) {
          return e;
        }
      })();
      expect(result).toMatchObject({ _tag: "Left", left: { _tag: "InvalidOption" } });
    }
    const ctx = { key: "/kratos_etcd/demo/h1", appId: "demo", hostname: "h1" };
    expect(decodeInstance(ctx)(null as never)).toMatchObject({
      _tag: "Left",
      left: { _tag: "Decode", key: ctx.key },
    });
  });

  it("closestName suggests a known name only when it is near", () => {
    const known = ["ttlSeconds", "lingerMs", "fetchTimeoutMs", "prefix", "layout"];
    expect(closestName("ttl", known)).toBe("ttlSeconds");
    expect(closestName("TTLSECONDS", known)).toBe("ttlSeconds");
    expect(closestName("lingrMs", known)).toBe("lingerMs");
    expect(closestName("prefx", known)).toBe("prefix");
    expect(closestName("banana", known)).toBeUndefined();
  });
});

describe("a long TTL on the in-memory backend", () => {
  it("keeps the registration: a lease of 30 days does not expire at once (timers cap at 24.8 days)", async () => {
    const { MemoryStore } = await import("../../src/backends/memory/index.js");
    const store = new MemoryStore();
    const lease = store.grant(30 * 24 * 3600);
    store.put("/k", "v", lease);
    // A timer of the same overflowing length, set after the lease's: Node fires it at once, after
    // the lease's would have fired had the store not capped it.
    const overflowing = 30 * 24 * 3600 * 1000;
    await new Promise((resolve) => setTimeout(resolve, overflowing));
    expect(store.get("/k")).toBe("v");
    store.revokeLease(lease);
  });
});
