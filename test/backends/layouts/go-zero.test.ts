import { describe, expect, it } from "vitest";
import { goZeroLayout, layoutNamed } from "../../../src/backends/layouts/index.js";
import { encodeError, left, make, right } from "./support.js";

const layout = goZeroLayout();
// A real etcd lease id: past 2^53, so it must never pass through a JavaScript number.
const LEASE = "7587862073119283205";
const KEY = `app/user.rpc/${LEASE}`;

describe("go-zero layout", () => {
  it("keys are <key>/<lease id in decimal>, the lease id kept exact as a string", () => {
    const i = make({ appId: "app/user.rpc", hostname: "host-1", addrs: ["grpc://10.0.0.5:8080"] });
    expect(layout.keyOf(i, LEASE)).toBe(KEY);
    expect(layout.appPrefix("app/user.rpc")).toBe("app/user.rpc/");
    expect(layoutNamed("go-zero").keyOf(i, LEASE)).toBe(KEY);
    expect(layoutNamed("go-zero", "/x/").keyOf(i, "1")).toBe("/x/app/user.rpc/1");
  });

  it("reads the lease id from the key as the hostname; other last segments do not fit", () => {
    expect(layout.hostnameOf("app/user.rpc", KEY)).toBe(LEASE);
    expect(layout.hostnameOf("app/user.rpc", "app/user.rpc/-5")).toBe("-5");
    expect(layout.hostnameOf("app/user.rpc", "app/user.rpc/host-1")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/"host-1" is not a decimal lease id/),
    });
    expect(layout.hostnameOf("app/user.rpc", "app/user.rpc/12345678901234567890")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/not a decimal lease id/),
    });
    expect(layout.hostnameOf("app/user.rpc", "app/user.rpc2/1")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/not under app\/user.rpc\//),
    });
  });

  it("holds an appid with '/', and keeps nested keys apart: app never sees app/user.rpc", () => {
    expect(layout.appIdProblem("app/user.rpc")).toBeUndefined();
    expect(layout.hostnameOf("app", KEY)).toEqual({ _tag: "NestedApp" });
    expect(layout.hostnameOf("app", "app/42")).toBe("42");
    expect(layout.hostnameOf("app/user.rpc", "app/42")).toEqual({
      _tag: "Misfit",
      problem: expect.any(String),
    });
  });

  it("encodes a bare host:port, byte for byte as go-zero's publisher: the first grpc:// address", () => {
    const i = make({
      appId: "app/user.rpc",
      hostname: "host-1",
      addrs: ["http://10.0.0.5:8888", "grpc://10.0.0.5:8080?isSecure=false"],
      zone: "lost",
      metadata: { lost: "too" },
    });
    expect(layout.encode(i)).toBe("10.0.0.5:8080");
    expect(layout.encode(make({ appId: "a", hostname: "h", addrs: ["grpc://[::1]:9000"] }))).toBe(
      "[::1]:9000",
    );
  });

  it("cannot write an instance without a grpc:// address: InvalidInstance naming addrs", () => {
    expect(encodeError(layout, make({ appId: "a", hostname: "h", addrs: ["http://x:1"] }))).toMatchObject({
      _tag: "InvalidInstance",
      field: "addrs",
    });
  });

  it("decodes what go-zero writes: hostname = lease id, addrs = [grpc://value], nothing else", () => {
    expect(right(layout, "app/user.rpc", KEY, "10.0.0.5:8080")).toEqual({
      region: "",
      zone: "",
      env: "",
      appId: "app/user.rpc",
      hostname: LEASE,
      addrs: ["grpc://10.0.0.5:8080"],
      version: "",
      lastTs: 0,
      metadata: {},
      status: 1,
    });
    expect(right(layout, "a", "a/1", "http://10.0.0.5:8888").addrs).toEqual(["http://10.0.0.5:8888"]);
  });

  it("never crashes on malformed values: a Decode error naming the key", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /empty/],
      ["10.0.0.5:8080\n", /whitespace or a control character/],
      ["a b:1", /whitespace/],
      ["[::1", /not a parseable URL/],
      ['{"host":"x"}', /not a parseable URL/],
    ];
    for (const [raw, expected] of cases) {
      const error = left(layout, "app", "app/1", raw);
      expect(error).toMatchObject({ _tag: "Decode", key: "app/1" });
      expect(error.message).toMatch(expected);
    }
  });
});
