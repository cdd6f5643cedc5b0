import { describe, expect, it } from "vitest";
import { etcdEndpointsLayout, layoutNamed } from "../../../src/backends/layouts/index.js";
import { encodeError, left, make, right } from "./support.js";

const layout = etcdEndpointsLayout();
const KEY = "svc/echo/10.0.0.5:50051";

/** etcd's endpoints.Manager.AddEndpoint(ctx, KEY, Endpoint{Addr: "10.0.0.5:50051"}), byte for byte. */
const GO_WRITTEN = '{"Op":0,"Addr":"10.0.0.5:50051","Metadata":null}';

describe("etcd-endpoints layout", () => {
  it("keys are <target>/<addr>, the whole target being the appid", () => {
    const i = make({ appId: "svc/echo", hostname: "10.0.0.5:50051", addrs: ["grpc://10.0.0.5:50051"] });
    expect(layout.keyOf(i, "7587862073119283205")).toBe(KEY);
    expect(layout.appPrefix("svc/echo")).toBe("svc/echo/");
    expect(layoutNamed("etcd-endpoints").keyOf(i, "1")).toBe(KEY);
    expect(layoutNamed("etcd-endpoints", "/services/").keyOf(i, "1")).toBe(`/services/${KEY}`);
  });

  it("holds an appid with '/', and keeps nested targets apart: svc never sees svc/echo", () => {
    expect(layout.appIdProblem("svc/echo")).toBeUndefined();
    expect(layout.hostnameOf("svc/echo", KEY)).toBe("10.0.0.5:50051");
    expect(layout.hostnameOf("svc", KEY)).toEqual({ _tag: "NestedApp" });
    expect(layout.hostnameOf("svc", "svc/10.0.0.6:50051")).toBe("10.0.0.6:50051");
    expect(layout.hostnameOf("svc/echo", "svc/10.0.0.6:50051")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/not under svc\/echo\//),
    });
    expect(layout.hostnameOf("svc", "svc/")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/must not be empty/),
    });
  });

  it("encodes byte for byte as etcd's Go client: Op, Addr, Metadata; nil metadata as null", () => {
    const i = make({
      appId: "svc/echo",
      hostname: "10.0.0.5:50051",
      addrs: ["http://10.0.0.5:8080", "grpc://10.0.0.5:50051/ignored?x=1"],
      zone: "lost",
    });
    expect(layout.encode(i)).toBe(GO_WRITTEN);
    expect(layout.encode({ ...i, metadata: { zone: "a", weight: "10", "<": "&" } })).toBe(
      '{"Op":0,"Addr":"10.0.0.5:50051","Metadata":{"\\u003c":"\\u0026","weight":"10","zone":"a"}}',
    );
  });

  it("cannot write an instance without a grpc:// address: InvalidInstance naming addrs", () => {
    expect(
      encodeError(layout, make({ appId: "svc", hostname: "h", addrs: ["http://10.0.0.5:8080"] })),
    ).toMatchObject({ _tag: "InvalidInstance", field: "addrs" });
    expect(encodeError(layout, make({ appId: "svc", hostname: "h" }))).toMatchObject({ field: "addrs" });
  });

  it("decodes what Go writes: hostname = the key's address, addrs = [grpc://Addr]", () => {
    expect(right(layout, "svc/echo", KEY, GO_WRITTEN)).toEqual({
      region: "",
      zone: "",
      env: "",
      appId: "svc/echo",
      hostname: "10.0.0.5:50051",
      addrs: ["grpc://10.0.0.5:50051"],
      version: "",
      lastTs: 0,
      metadata: {},
      status: 1,
    });
    // etcd's own docs name keys freely ("svc/e1"): the hostname is the key's, the address Addr's.
    expect(right(layout, "svc", "svc/e1", '{"Op":0,"Addr":"1.2.3.4","Metadata":null}')).toMatchObject({
      hostname: "e1",
      addrs: ["grpc://1.2.3.4"],
    });
    // An Addr with a scheme stays as it is; a missing Op is Go's zero, Add.
    expect(right(layout, "svc", "svc/sock", '{"Addr":"unix:///run/echo.sock"}').addrs).toEqual([
      "unix:///run/echo.sock",
    ]);
  });

  it("makes Metadata of any JSON into strings", () => {
    const meta = (m: string) =>
      right(layout, "svc", "svc/a:1", `{"Op":0,"Addr":"a:1","Metadata":${m}}`).metadata;
    expect(meta('{"zone":"a","weight":10,"tags":["x"],"n":null}')).toEqual({
      zone: "a",
      weight: "10",
      tags: '["x"]',
      n: "null",
    });
    expect(meta('"v1"')).toEqual({ value: "v1" });
    expect(meta("42")).toEqual({ value: "42" });
    expect(meta("[1,2]")).toEqual({ value: "[1,2]" });
    expect(meta("null")).toEqual({});
    expect(Object.keys(meta('{"__proto__":{"x":1}}'))).toEqual(["__proto__"]);
  });

  it("round-trips its own encoding", () => {
    const i = make({ appId: "svc", hostname: "a:1", addrs: ["grpc://a:1"], metadata: { w: "2" } });
    expect(right(layout, "svc", layout.keyOf(i, "1"), layout.encode(i))).toMatchObject({
      hostname: "a:1",
      addrs: ["grpc://a:1"],
      metadata: { w: "2" },
    });
  });

  it("never crashes on malformed values: a Decode error naming the key", () => {
    const key = "svc/a:1";
    const cases: Array<[string, RegExp | string]> = [
      ["{not json", /malformed JSON/],
      ["null", /expected a JSON object/],
      ["a:1", /malformed JSON/],
      ['{"Op":"0","Addr":"a:1"}', "Op"],
      ['{"Op":1,"Addr":"a:1"}', "Op"],
      ['{"Op":0,"Addr":5}', "Addr"],
      ['{"Op":0}', "Addr"],
      ['{"Op":0,"Addr":"a:1 "}', "Addr"],
      ['{"Op":0,"Addr":"a b:1"}', "Addr"],
      ['{"Op":0,"Addr":"[::1"}', "addrs[0]"],
    ];
    for (const [raw, expected] of cases) {
      const error = left(layout, "svc", key, raw);
      expect(error).toMatchObject({ _tag: "Decode", key });
      if (typeof expected === "string") expect(error.field).toBe(expected);
      else expect(error.message).toMatch(expected);
    }
  });

  it("rejects a prefix with whitespace as InvalidOption", () => {
    expect(() => etcdEndpointsLayout("a b/")).toThrow(expect.objectContaining({ _tag: "InvalidOption" }));
  });
});
