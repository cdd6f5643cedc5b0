import { describe, expect, it } from "vitest";
import { kratosV2Layout, layoutNamed } from "../../../src/backends/layouts/index.js";
import { left, make, right } from "./support.js";

const layout = kratosV2Layout();
const KEY = "/microservices/helloworld/6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f";

/** What Kratos v2's etcd registry writes (json.Marshal of registry.ServiceInstance), byte for byte. */
const GO_WRITTEN =
  '{"id":"6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f","name":"helloworld","version":"v1.0.0","metadata":{"region":"sh","zone":"a"},"endpoints":["grpc://10.0.0.5:9000?isSecure=false","http://10.0.0.5:8000?isSecure=false"]}';
/** The same with nil Metadata and Endpoints, as a service that sets neither writes it. */
const GO_WRITTEN_NIL = '{"id":"host-1","name":"helloworld","version":"","metadata":null,"endpoints":null}';

describe("kratos-v2 layout", () => {
  it("keys are <namespace>/<name>/<id> under the default namespace /microservices", () => {
    const i = make({ appId: "helloworld", hostname: "6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f" });
    expect(layout.keyOf(i, "7587862073119283205")).toBe(KEY);
    expect(layout.appPrefix("helloworld")).toBe("/microservices/helloworld/");
    expect(layoutNamed("kratos-v2").keyOf(i, "1")).toBe(KEY);
    expect(kratosV2Layout("/ns/").keyOf(i, "1")).toBe("/ns/helloworld/6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f");
    expect(layoutNamed("kratos-v2", "ns").appPrefix("a")).toBe("ns/a/");
  });

  it("reads the id from the key, and reports a key that does not fit", () => {
    expect(layout.hostnameOf("helloworld", KEY)).toBe("6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f");
    expect(layout.hostnameOf("helloworld", "/microservices/helloworld/too/deep")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/id must not contain "\/"/),
    });
    expect(layout.hostnameOf("helloworld", "/microservices/helloworld2/x")).toEqual({
      _tag: "Misfit",
      problem: expect.stringMatching(/not under \/microservices\/helloworld\//),
    });
  });

  it("encodes byte for byte as Go's encoding/json: struct order, nil as null, sorted and HTML-escaped maps", () => {
    const i = make({
      appId: "helloworld",
      hostname: "6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f",
      version: "v1.0.0",
      metadata: { zone: "a", region: "sh" },
      addrs: ["grpc://10.0.0.5:9000?isSecure=false", "http://10.0.0.5:8000?isSecure=false"],
      zone: "lost",
    });
    expect(layout.encode(i)).toBe(GO_WRITTEN);
    expect(layout.encode(make({ appId: "helloworld", hostname: "host-1" }))).toBe(GO_WRITTEN_NIL);
    // Go sorts map keys bytewise (JavaScript would put "9" before "10") and escapes <, >, &.
    const escaped = make({ appId: "a", hostname: "h", metadata: { b: "x<y>&z", "9": "n", "10": "m" } });
    expect(layout.encode(escaped)).toBe(
      '{"id":"h","name":"a","version":"","metadata":{"10":"m","9":"n","b":"x\\u003cy\\u003e\\u0026z"},"endpoints":null}',
    );
  });

  it("decodes what Go writes: hostname = id, addrs = endpoints; no zone, env or status to read", () => {
    expect(right(layout, "helloworld", KEY, GO_WRITTEN)).toEqual({
      region: "",
      zone: "",
      env: "",
      appId: "helloworld",
      hostname: "6c5d0a4e-1b2f-4c3d-9e8f-0a1b2c3d4e5f",
      addrs: ["grpc://10.0.0.5:9000?isSecure=false", "http://10.0.0.5:8000?isSecure=false"],
      version: "v1.0.0",
      lastTs: 0,
      metadata: { region: "sh", zone: "a" },
      status: 1,
    });
    const nil = right(layout, "helloworld", "/microservices/helloworld/host-1", GO_WRITTEN_NIL);
    expect(nil).toMatchObject({ addrs: [], metadata: {}, hostname: "host-1" });
    // A missing id is the key's; unknown fields are ignored, as Go does.
    expect(
      right(layout, "helloworld", "/microservices/helloworld/h2", '{"name":"helloworld","extra":[1]}'),
    ).toMatchObject({ hostname: "h2" });
  });

  it("round-trips its own encoding", () => {
    const i = make({
      appId: "a",
      hostname: "h",
      version: "1",
      metadata: { k: "<v>" },
      addrs: ["grpc://1.2.3.4:5"],
    });
    const back = right(layout, "a", layout.keyOf(i, "1"), layout.encode(i));
    expect(back).toMatchObject({
      hostname: "h",
      version: "1",
      metadata: { k: "<v>" },
      addrs: ["grpc://1.2.3.4:5"],
    });
  });

  it("still checks name under the trailing-slash watch, and the id against the key", () => {
    const key = "/microservices/helloworld/host-1";
    expect(left(layout, "helloworld", key, GO_WRITTEN_NIL.replace('"helloworld"', '"other"'))).toMatchObject({
      _tag: "Decode",
      key,
      field: "name",
    });
    expect(left(layout, "helloworld", key, '{"id":"host-1"}')).toMatchObject({
      _tag: "Decode",
      field: "name",
    });
    expect(left(layout, "helloworld", key, GO_WRITTEN_NIL.replace('"host-1"', '"host-2"'))).toMatchObject({
      _tag: "Decode",
      field: "id",
    });
  });

  it("never crashes on malformed values: a Decode error naming the key", () => {
    const key = "/microservices/helloworld/host-1";
    const cases: Array<[string, RegExp | string]> = [
      ["{not json", /malformed JSON/],
      ["null", /expected a JSON object, got null/],
      ["[]", /got an array/],
      ['"x"', /got string/],
      ['{"name":"helloworld","endpoints":"grpc://x:1"}', "endpoints"],
      ['{"name":"helloworld","endpoints":[1]}', "endpoints"],
      ['{"name":"helloworld","metadata":{"w":10}}', "metadata.w"],
      ['{"name":"helloworld","version":3}', "version"],
      ['{"name":"helloworld","endpoints":["10.0.0.5:9000"]}', "addrs[0]"],
    ];
    for (const [raw, expected] of cases) {
      const error = left(layout, "helloworld", key, raw);
      expect(error).toMatchObject({ _tag: "Decode", key });
      if (typeof expected === "string") expect(error.field).toBe(expected);
      else expect(error.message).toMatch(expected);
    }
  });

  it("cannot hold an appid with '/', and says so", () => {
    expect(layout.appIdProblem("svc/echo")).toMatch(/must not contain "\/" in the kratos-v2 layout/);
    expect(layout.appIdProblem("svc.echo")).toBeUndefined();
  });

  it("rejects a bad prefix as InvalidOption", () => {
    expect(() => kratosV2Layout("/micro services")).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" }),
    );
    expect(() => kratosV2Layout("/a//b")).toThrow(expect.objectContaining({ _tag: "InvalidOption" }));
  });
});
