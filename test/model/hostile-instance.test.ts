// What instance() and the Kratos codec do with hostile text and numbers: control and BiDi
// formatting characters, numbers Go's int64 cannot read, and values nested deep enough to break
// a recursive description of them.
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { decodeInstance, encodeInstance, instance, type InstanceInput } from "../../src/model/index.js";

const base: InstanceInput = { appId: "demo", hostname: "h1", addrs: ["grpc://10.0.0.1:9000"] };

const rejects = (partial: InstanceInput, field: RegExp): void => {
  const result = instance({ ...base, ...partial });
  expect(E.isLeft(result) && result.left).toMatchObject({
    _tag: "InvalidInstance",
    field: expect.stringMatching(field),
  });
};

describe("instance() and hostile text", () => {
  it.each([
    ["CR LF in an address", { addrs: ["grpc://10.0.0.1:9000\r\nX: y"] }, /^addrs\[0\]$/],
    ["LF inside an address", { addrs: ["grpc://10.0.\n0.1:9000"] }, /^addrs\[0\]$/],
    ["ESC in an address", { addrs: ["http://a\u001b]0;pwned\u0007.example:80"] }, /^addrs\[0\]$/],
    ["tab in an address", { addrs: ["grpc://10.0.0.1:90\t00"] }, /^addrs\[0\]$/],
    ["U+202E in an address", { addrs: ["http://\u202eexample.com:80/"] }, /^addrs\[0\]$/],
    ["U+202E in a hostname", { hostname: "host\u202e1" }, /^hostname$/],
    ["U+2066 in a hostname", { hostname: "host\u20661" }, /^hostname$/],
    ["U+202A in an appId", { appId: "demo\u202a" }, /^appId$/],
    ["U+2069 in an appId", { appId: "demo\u2069" }, /^appId$/],
    ["ESC in the zone", { zone: "sh\u001b[2J" }, /^zone$/],
    ["a C1 control in the version", { version: "1.0\u009b2J" }, /^version$/],
    ["DEL in the env", { env: "prod\u007f" }, /^env$/],
    ["CR in the region", { region: "r\r" }, /^region$/],
    ["LF in a metadata value", { metadata: { color: "red\nforged row" } }, /^metadata\.color$/],
    ["ESC in a metadata key", { metadata: { "k\u001b": "v" } }, /^metadata/],
  ])("rejects %s", (_, partial, field) => rejects(partial as InstanceInput, field));

  it("accepts text with spaces and BiDi marks where text belongs: zone, version, metadata", () => {
    const result = instance({
      ...base,
      zone: "zone a",
      version: "v1 \u202eok",
      metadata: { note: "שלום world", color: "red" },
    });
    expect(E.isRight(result)).toBe(true);
  });
});

describe("instance() and numbers Go's int64 cannot read", () => {
  it.each([
    ["lastTs 1e300", { lastTs: 1e300 }, "lastTs"],
    ["status 1e21", { status: 1e21 }, "status"],
    ["status 2^63", { status: 2 ** 63 }, "status"],
    ["lastTs -2^64", { lastTs: -(2 ** 64) }, "lastTs"],
    ["lastTs 1.5", { lastTs: 1.5 }, "lastTs"],
    ["status NaN", { status: Number.NaN }, "status"],
  ])("rejects %s", (_, partial, field) => rejects(partial, new RegExp(`^${field}$`)));

  it("accepts the int64 range that a double holds, and writes it as digits Go reads", () => {
    const edge = instance({ ...base, lastTs: 2 ** 63 - 1024, status: -(2 ** 63) });
    expect(E.isRight(edge)).toBe(true);
    if (E.isRight(edge)) {
      const json = encodeInstance(edge.right);
      expect(BigInt(/"latest_timestamp":(\d+)/.exec(json)![1]!)).toBeLessThan(2n ** 63n);
      expect(json).toContain(`"status":${-(2 ** 63)}`);
      expect(json).not.toMatch(/e\+/);
    }
  });

  it("reads a stored status or timestamp out of int64 as a Decode error for that key", () => {
    const ctx = { key: "/kratos_etcd/demo/h1", appId: "demo", hostname: "h1" };
    const decoded = decodeInstance(ctx)('{"appid":"demo","hostname":"h1","latest_timestamp":1e300}');
    expect(E.isLeft(decoded) && decoded.left).toMatchObject({
      _tag: "Decode",
      key: ctx.key,
      field: "lastTs",
    });
  });
});

/** `{"zone":[[[...]]]}` nested `depth` deep: small, parsed by JSON.parse, too deep for JSON.stringify. */
export const deepJson = (field: string, depth: number): string =>
  `{"${field}":${"[".repeat(depth)}${"]".repeat(depth)}}`;

describe("a value nested thousands deep", () => {
  it("is a Decode error naming its key, with a bounded message", () => {
    const ctx = { key: "/kratos_etcd/demo/h1", appId: "demo", hostname: "h1" };
    const raw = deepJson("zone", 5_000);
    expect(raw.length).toBeLessThan(11_000);
    const decoded = decodeInstance(ctx)(raw);
    expect(E.isLeft(decoded) && decoded.left).toMatchObject({ _tag: "Decode", key: ctx.key });
    if (E.isLeft(decoded)) expect(decoded.left.message.length).toBeLessThan(400);
  });

  it("describes a huge wrong value in a bounded message", () => {
    const ctx = { key: "/kratos_etcd/demo/h1", appId: "demo", hostname: "h1" };
    const decoded = decodeInstance(ctx)(JSON.stringify({ zone: ["x".repeat(1_000_000)] }));
    expect(E.isLeft(decoded) && decoded.left.message.length).toBeLessThan(400);
  });
});
