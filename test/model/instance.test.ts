import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  freezeInstance,
  instance,
  instanceEquals,
  instancesInfo,
  nowNanos,
  type Instance,
  type InstanceInput,
} from "../../src/model/index.js";

const make = (input: InstanceInput): Instance => {
  const r = instance(input);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

describe("instance()", () => {
  it("fills the defaults: empty strings, [], {}, status 1, lastTs = now in ns", () => {
    const before = Date.now() * 1e6;
    const i = make({ appId: "demo", hostname: "h1" });
    const after = Date.now() * 1e6;
    expect(i).toEqual({
      region: "",
      zone: "",
      env: "",
      appId: "demo",
      hostname: "h1",
      addrs: [],
      version: "",
      lastTs: i.lastTs,
      metadata: {},
      status: 1,
    });
    // nanoseconds, not milliseconds or seconds: within a few ms of now
    expect(i.lastTs).toBeGreaterThanOrEqual(before - 5e6);
    expect(i.lastTs).toBeLessThanOrEqual(after + 5e6);
    expect(i.lastTs).toBeGreaterThan(1.5e18);
    expect(Number.isInteger(i.lastTs)).toBe(true);
  });

  it("has exactly the ten fields of Kratos' Instance", () => {
    const i = make({ appId: "demo", hostname: "h1" });
    expect(Object.keys(i).sort()).toEqual(
      [
        "addrs",
        "appId",
        "env",
        "hostname",
        "lastTs",
        "metadata",
        "region",
        "status",
        "version",
        "zone",
      ].sort(),
    );
  });

  it("keeps every given field, status 0 included", () => {
    const input: Instance = {
      region: "sh",
      zone: "sh001",
      env: "prod",
      appId: "demo.service",
      hostname: "host-1",
      addrs: ["grpc://10.0.0.5:9000", "http://10.0.0.5:8000"],
      version: "v1.2.3",
      lastTs: 1_700_000_000_000_000_000,
      metadata: { weight: "10", cluster: "c1", color: "red" },
      status: 0,
    };
    expect(make(input)).toEqual(input);
  });

  it("drops fields that are not Instance fields", () => {
    const i = make({ appId: "demo", hostname: "h1", extra: 1 } as InstanceInput);
    expect("extra" in i).toBe(false);
  });

  it("returns a deeply frozen instance, not sharing the caller's array and record", () => {
    const addrs = ["grpc://a:1"];
    const metadata = { weight: "1" };
    const i = make({ appId: "demo", hostname: "h1", addrs, metadata });
    expect(Object.isFrozen(i)).toBe(true);
    expect(Object.isFrozen(i.addrs)).toBe(true);
    expect(Object.isFrozen(i.metadata)).toBe(true);
    addrs.push("grpc://b:2");
    metadata.weight = "99";
    expect(i.addrs).toEqual(["grpc://a:1"]);
    expect(i.metadata).toEqual({ weight: "1" });
    expect(() => {
      (i as { hostname: string }).hostname = "x";
    }).toThrow(TypeError);
  });

  it("nowNanos is Unix time in nanoseconds", () => {
    const ms = Date.now();
    expect(Math.abs(nowNanos() / 1e6 - ms)).toBeLessThan(50);
  });
});

describe("freezeInstance", () => {
  it("returns an already frozen instance as is", () => {
    const i = make({ appId: "demo", hostname: "h1" });
    expect(freezeInstance(i)).toBe(i);
  });
});

describe("instanceEquals", () => {
  const a = make({
    appId: "demo",
    hostname: "h1",
    addrs: ["grpc://a:1"],
    metadata: { weight: "1" },
    lastTs: 5,
    status: 1,
  });

  it("is true for a structural copy", () => {
    expect(instanceEquals(a, { ...a, addrs: [...a.addrs], metadata: { ...a.metadata } })).toBe(true);
    expect(instanceEquals(a, a)).toBe(true);
  });

  it.each<[string, Partial<Instance>]>([
    ["hostname", { hostname: "h2" }],
    ["appId", { appId: "demo2" }],
    ["status", { status: 0 }],
    ["lastTs", { lastTs: 6 }],
    ["zone", { zone: "z" }],
    ["region", { region: "r" }],
    ["env", { env: "e" }],
    ["version", { version: "v" }],
    ["addrs (order)", { addrs: ["grpc://a:1", "grpc://b:1"] }],
    ["addrs (value)", { addrs: ["grpc://a:2"] }],
    ["addrs (empty)", { addrs: [] }],
    ["metadata (value)", { metadata: { weight: "2" } }],
    ["metadata (extra key)", { metadata: { weight: "1", color: "red" } }],
    ["metadata (other key)", { metadata: { color: "1" } }],
    ["metadata (empty)", { metadata: {} }],
  ])("is false when %s differs", (_label, change) => {
    const b = { ...a, ...change };
    expect(instanceEquals(a, b)).toBe(false);
    expect(instanceEquals(b, a)).toBe(false);
  });
});

describe("instancesInfo", () => {
  it("sorts by hostname, freezes, and does not touch the input", () => {
    const input = ["c", "a", "b"].map((h) => make({ appId: "demo", hostname: h }));
    const info = instancesInfo("demo", input, "7");
    expect(info.instances.map((i) => i.hostname)).toEqual(["a", "b", "c"]);
    expect(input.map((i) => i.hostname)).toEqual(["c", "a", "b"]);
    expect(info.appId).toBe("demo");
    expect(info.revision).toBe("7");
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.instances)).toBe(true);
    expect(info.instances[0]).toBe(input[1]);
  });
});
