import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  fromKratosJson,
  decodeInstance,
  encodeInstance,
  instance,
  InstanceFromKratosJson,
  isNamingError,
  KratosInstanceJson,
  validateInstance,
  type Instance,
  type NamingError,
} from "../../src/model/index.js";

const ctx = { key: "/kratos_etcd/demo.service/host-1", appId: "demo.service", hostname: "host-1" };
const decode = decodeInstance(ctx);

/** Kratos v1's etcd registry value, byte for byte as a Go Kratos service writes it. */
const KRATOS_V1 =
  '{"region":"","zone":"sh001","env":"dev","appid":"demo.service","hostname":"host-1","addrs":["grpc://10.0.0.5:9000"],"version":"","latest_timestamp":0,"metadata":null,"status":0}';

const right = (raw: string): Instance => {
  const r = decode(raw);
  if (E.isLeft(r)) throw new Error(`expected Right, got ${r.left.message}`);
  return r.right;
};

const left = (raw: string): NamingError => {
  const r = decode(raw);
  if (E.isRight(r)) throw new Error(`expected Left for ${raw}, got ${JSON.stringify(r.right)}`);
  expect(r.left._tag).toBe("Decode");
  expect(r.left.key).toBe(ctx.key);
  expect(r.left.message).toContain(ctx.key);
  expect(isNamingError(r.left)).toBe(true);
  return r.left;
};

const valueWith = (fields: Record<string, unknown>): string => {
  const json = JSON.parse(KRATOS_V1) as Record<string, unknown>;
  return JSON.stringify({ ...json, ...fields });
};

describe("decodeInstance: what Kratos v1 writes", () => {
  it("decodes Kratos v1's exact bytes: status 0, metadata {}, addrs", () => {
    expect(right(KRATOS_V1)).toEqual({
      region: "",
      zone: "sh001",
      env: "dev",
      appId: "demo.service",
      hostname: "host-1",
      addrs: ["grpc://10.0.0.5:9000"],
      version: "",
      lastTs: 0,
      metadata: {},
      status: 0,
    });
  });

  it("returns a frozen instance with frozen addrs and metadata", () => {
    const i = right(KRATOS_V1);
    expect(Object.isFrozen(i)).toBe(true);
    expect(Object.isFrozen(i.addrs)).toBe(true);
    expect(Object.isFrozen(i.metadata)).toBe(true);
  });

  it('decodes "addrs":null as []', () => {
    expect(right(valueWith({ addrs: null })).addrs).toEqual([]);
  });

  it("decodes metadata and a nanosecond timestamp", () => {
    const i = right(
      valueWith({ metadata: { weight: "10", cluster: "c1" }, latest_timestamp: 1_700_000_000_123_456_768 }),
    );
    expect(i.metadata).toEqual({ weight: "10", cluster: "c1" });
    expect(i.lastTs).toBe(1_700_000_000_123_456_768);
  });

  it("decodes {} to the defaults, appid and hostname taken from the key", () => {
    expect(right("{}")).toEqual({
      region: "",
      zone: "",
      env: "",
      appId: "demo.service",
      hostname: "host-1",
      addrs: [],
      version: "",
      lastTs: 0,
      metadata: {},
      status: 0,
    });
  });

  it.each(["region", "zone", "env", "addrs", "version", "latest_timestamp", "metadata", "status"])(
    "decodes a value without %s to the Go zero value",
    (field) => {
      const json = JSON.parse(KRATOS_V1) as Record<string, unknown>;
      delete json[field];
      const i = right(JSON.stringify(json));
      expect(i.appId).toBe("demo.service");
      expect(i.hostname).toBe("host-1");
      if (field === "addrs") expect(i.addrs).toEqual([]);
      if (field === "status") expect(i.status).toBe(0);
      if (field === "latest_timestamp") expect(i.lastTs).toBe(0);
      if (field === "zone") expect(i.zone).toBe("");
    },
  );

  it("takes appid and hostname from the key when missing or empty", () => {
    const i = right(JSON.stringify({ addrs: ["grpc://10.0.0.5:9000"] }));
    expect(i.appId).toBe("demo.service");
    expect(i.hostname).toBe("host-1");
    const j = right(valueWith({ appid: "", hostname: "" }));
    expect(j.appId).toBe("demo.service");
    expect(j.hostname).toBe("host-1");
  });

  it("ignores unknown fields, and encode does not write them back", () => {
    const raw = valueWith({ weight: 10, extra: { a: [1, 2] }, Region: "X", appId: "other" });
    const i = right(raw);
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
    expect(i.region).toBe("");
    const encoded = encodeInstance(i);
    expect(encoded).not.toContain("extra");
    expect(encoded).not.toContain("weight");
    expect(encoded).not.toContain('"Region"');
    expect(encoded).not.toContain('"appId"');
  });

  it("accepts whitespace around the JSON", () => {
    expect(right(`\n  ${KRATOS_V1}\t\n`).zone).toBe("sh001");
  });
});

describe("decodeInstance: bad input is a Decode error naming the key and field", () => {
  it.each(["", "{", '{"zone":', "not json", "{'zone':'x'}", '{"zone":"a",}', "undefined", "NaN"])(
    "malformed JSON %j",
    (raw) => {
      expect(left(raw).message).toMatch(/malformed JSON/);
    },
  );

  it.each([
    ["[]", /array/],
    ['["a"]', /array/],
    ["1", /number/],
    ['"str"', /string/],
    ["true", /boolean/],
    ["null", /null/],
  ])("a JSON %s, not an object", (raw, kind) => {
    const err = left(raw);
    expect(err.message).toMatch(/expected a JSON object/);
    expect(err.message).toMatch(kind);
  });

  it.each<[string, unknown, string]>([
    ["status", "1", "status"],
    ["status", null, "status"],
    ["status", true, "status"],
    ["addrs", "x", "addrs"],
    ["addrs", ["grpc://a:1", 2], "addrs"],
    ["addrs", { 0: "grpc://a:1" }, "addrs"],
    ["metadata", { w: 1 }, "metadata"],
    ["metadata", ["a"], "metadata"],
    ["metadata", "w=1", "metadata"],
    ["latest_timestamp", "0", "latest_timestamp"],
    ["latest_timestamp", null, "latest_timestamp"],
    ["zone", 1, "zone"],
    ["region", null, "region"],
    ["env", [], "env"],
    ["version", 1.2, "version"],
    ["appid", 7, "appid"],
    ["hostname", false, "hostname"],
  ])("wrong type: %s = %j", (field, value, named) => {
    const err = left(valueWith({ [field]: value }));
    expect(err.message).toContain(named);
    expect(err.field?.startsWith(named)).toBe(true);
  });

  it("names the metadata key with the wrong value", () => {
    const err = left(valueWith({ metadata: { weight: 1 } }));
    expect(err.field).toBe("metadata.weight");
    expect(err.message).toContain("metadata.weight");
  });

  it("a non-integer status or an infinite timestamp is rejected by validation", () => {
    expect(left(valueWith({ status: 1.5 })).message).toContain("status");
    expect(left(KRATOS_V1.replace('"latest_timestamp":0', '"latest_timestamp":1e400')).message).toContain(
      "lastTs",
    );
  });

  it("a hostname contradicting the key", () => {
    const err = left(valueWith({ hostname: "host-2" }));
    expect(err.field).toBe("hostname");
    expect(err.message).toContain("hostname");
    expect(err.message).toContain("host-2");
  });

  it("an appid contradicting the key", () => {
    const err = left(valueWith({ appid: "demo.service2" }));
    expect(err.field).toBe("appid");
    expect(err.message).toContain("appid");
    expect(err.message).toContain("demo.service2");
  });

  it("an invalid addr inside the value", () => {
    const err = left(valueWith({ addrs: ["grpc://10.0.0.5:9000", "not a url"] }));
    expect(err.field).toBe("addrs[1]");
    expect(err.message).toContain("addrs[1]");
    expect(err.message).toContain("not a url");
  });

  it("an invalid name taken from the key", () => {
    const bad = decodeInstance({
      key: "/kratos_etcd/demo.service/host 1",
      appId: "demo.service",
      hostname: "host 1",
    });
    const r = bad(JSON.stringify({ appid: "demo.service" }));
    expect(E.isLeft(r) && r.left._tag).toBe("Decode");
    expect(E.isLeft(r) && r.left.field).toBe("hostname");
    expect(E.isLeft(r) && r.left.key).toBe("/kratos_etcd/demo.service/host 1");
  });
});

describe("encodeInstance", () => {
  const known: Instance = {
    region: "sh",
    zone: "sh001",
    env: "dev",
    appId: "demo.service",
    hostname: "host-1",
    addrs: ["grpc://10.0.0.5:9000", "http://10.0.0.5:8000"],
    version: "v1.0.0",
    lastTs: 1_700_000_000_000_000_000,
    metadata: { weight: "10", cluster: "c1" },
    status: 1,
  };

  it("writes Kratos' field names in Kratos' order, and metadata keys sorted, as Go does", () => {
    expect(encodeInstance(known)).toBe(
      '{"region":"sh","zone":"sh001","env":"dev","appid":"demo.service","hostname":"host-1",' +
        '"addrs":["grpc://10.0.0.5:9000","http://10.0.0.5:8000"],"version":"v1.0.0",' +
        '"latest_timestamp":1700000000000000000,"metadata":{"cluster":"c1","weight":"10"},"status":1}',
    );
  });

  it("escapes <, > and & as Go's encoding/json does, and reads its own output back", () => {
    const odd: Instance = { ...known, version: "v<1>&2", metadata: { "b&": "<x>", a: "\u2028" } };
    const encoded = encodeInstance(odd);
    expect(encoded).toContain('"version":"v\\u003c1\\u003e\\u00262"');
    expect(encoded).toContain('"metadata":{"a":"\\u2028","b\\u0026":"\\u003cx\\u003e"}');
    const back = decodeInstance({ key: "k", appId: odd.appId, hostname: odd.hostname })(encoded);
    expect(back).toEqual(E.right(odd));
  });

  it("writes Kratos v1's own example back byte for byte, except metadata {}", () => {
    expect(encodeInstance(right(KRATOS_V1))).toBe(KRATOS_V1.replace('"metadata":null', '"metadata":{}'));
  });

  it("writes latest_timestamp as an integer of nanoseconds", () => {
    const i = instance({ appId: "a", hostname: "h" });
    if (E.isLeft(i)) throw i.left;
    const json = JSON.parse(encodeInstance(i.right)) as { latest_timestamp: number };
    expect(Number.isInteger(json.latest_timestamp)).toBe(true);
    expect(json.latest_timestamp).toBe(i.right.lastTs);
    expect(encodeInstance(i.right)).toMatch(/"latest_timestamp":\d{19},/);
    expect(encodeInstance({ ...known, lastTs: 1234.6 })).toContain('"latest_timestamp":1235,');
  });

  it("does not write fields that are not Kratos fields", () => {
    const withExtra = { ...known, extra: "x" } as Instance;
    expect(encodeInstance(withExtra)).toBe(encodeInstance(known));
  });

  it("InstanceFromKratosJson.encode gives the wire object", () => {
    expect(Object.keys(InstanceFromKratosJson.encode(known))).toEqual([
      "region",
      "zone",
      "env",
      "appid",
      "hostname",
      "addrs",
      "version",
      "latest_timestamp",
      "metadata",
      "status",
    ]);
    expect(KratosInstanceJson.is(InstanceFromKratosJson.encode(known))).toBe(true);
  });

  it("round trip: decode(encode(x)) equals x", () => {
    const k = { key: "/kratos_etcd/demo.service/host-1", appId: "demo.service", hostname: "host-1" };
    const back = decodeInstance(k)(encodeInstance(known));
    expect(back).toEqual(E.right(known));
  });
});

const name = fc.stringMatching(/^[a-zA-Z0-9._:-]{1,20}$/);
const str = fc.string({ maxLength: 12, unit: "binary" });
// Any text but control characters, which an instance's text fields may not hold.
const text = str.map((s) => s.replace(/\p{Cc}/gu, "?"));
const arbInstance: fc.Arbitrary<Instance> = fc.record({
  region: text,
  zone: text,
  env: text,
  appId: name,
  hostname: name,
  addrs: fc.array(
    fc
      .tuple(fc.constantFrom("grpc", "http", "https"), fc.ipV4(), fc.integer({ min: 1, max: 65535 }))
      .map(([s, ip, port]) => `${s}://${ip}:${port}`),
    { maxLength: 4 },
  ),
  version: text,
  lastTs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((n) => n * 256),
  metadata: fc.dictionary(text, text, { maxKeys: 4 }),
  status: fc.integer({ min: -5, max: 5 }),
});

const anyJson = fc.jsonValue({ maxDepth: 2 });
/**
 * Objects with Kratos' keys, each either a value of its type or any JSON at all (each key may be
 * missing): `more` gives the rest (addrs, metadata, an extra key) per test.
 */
const kratosishObjects = (more: Record<string, fc.Arbitrary<unknown>>) => {
  const field = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, anyJson);
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    region: field(str),
    zone: field(str),
    env: field(str),
    appid: field(fc.constantFrom("demo.service", "", "other")),
    hostname: field(fc.constantFrom("host-1", "", "host-2")),
    version: field(str),
    latest_timestamp: field(fc.oneof(fc.integer(), fc.double())),
    status: field(fc.oneof(fc.integer(), fc.double())),
  };
  for (const [k, v] of Object.entries(more)) fields[k] = k === "addrs" || k === "metadata" ? field(v) : v;
  return fc.record(fields, { requiredKeys: [] });
};

describe("codec properties", () => {
  it("round trip of any valid instance", () => {
    fc.assert(
      fc.property(arbInstance, (x) => {
        const k = { key: `/kratos_etcd/${x.appId}/${x.hostname}`, appId: x.appId, hostname: x.hostname };
        const back = decodeInstance(k)(encodeInstance(x));
        expect(E.isRight(back)).toBe(true);
        if (E.isRight(back)) {
          expect(back.right).toEqual(x);
          expect(encodeInstance(back.right)).toBe(encodeInstance(x));
        }
      }),
    );
  });

  const checkOutcome = (raw: string): void => {
    let r: E.Either<NamingError, Instance> | undefined;
    expect(() => {
      r = decode(raw);
    }).not.toThrow();
    if (r === undefined) throw new Error("no result");
    if (E.isLeft(r)) {
      expect(r.left._tag).toBe("Decode");
      expect(r.left.key).toBe(ctx.key);
      expect(r.left.message.length).toBeGreaterThan(0);
    } else {
      expect(Object.isFrozen(r.right)).toBe(true);
      expect(Object.isFrozen(r.right.addrs)).toBe(true);
      expect(Object.isFrozen(r.right.metadata)).toBe(true);
      expect(r.right.appId).toBe(ctx.appId);
      expect(r.right.hostname).toBe(ctx.hostname);
      expect(E.isRight(validateInstance()(r.right))).toBe(true);
    }
  };

  it("never throws on arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), checkOutcome), { numRuns: 500 });
  });

  it("never throws on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => checkOutcome(JSON.stringify(v) ?? "null")),
      { numRuns: 500 },
    );
  });

  it("never throws on objects with Kratos' keys and arbitrary JSON values", () => {
    const kratosish = kratosishObjects({
      addrs: fc.oneof(fc.constant(null), fc.array(fc.constantFrom("grpc://a:1", "not a url", ""))),
      metadata: fc.oneof(fc.constant(null), fc.dictionary(str, str)),
      __proto__: anyJson,
    });
    fc.assert(
      fc.property(kratosish, (v) => checkOutcome(JSON.stringify(v))),
      { numRuns: 1000 },
    );
  });

  it("the fast path and the io-ts codec accept and reject the same objects, and agree on the result", () => {
    const kratosish = kratosishObjects({
      addrs: fc.oneof(fc.constant(null), fc.array(fc.oneof(str, fc.constant("grpc://a:1")))),
      metadata: fc.oneof(fc.constant(null), fc.dictionary(str, fc.oneof(str, anyJson))),
      extra: anyJson,
    });
    fc.assert(
      fc.property(kratosish, (v) => {
        // As JSON.parse gives it: what both decoders see in decodeInstance.
        const j = JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
        const fast = fromKratosJson(j);
        const slow = InstanceFromKratosJson.decode(j);
        expect(fast !== undefined).toBe(E.isRight(slow));
        if (fast !== undefined && E.isRight(slow)) expect(fast).toEqual(slow.right);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on prototype-shaped keys", () => {
    for (const raw of [
      '{"__proto__":{"status":"x"}}',
      '{"metadata":{"__proto__":"x"}}',
      '{"metadata":{"__proto__":{}}}',
      '{"constructor":1,"toString":2}',
      '{"metadata":{"constructor":"x","hasOwnProperty":"y"}}',
    ]) {
      checkOutcome(raw);
    }
    const r = decode('{"metadata":{"__proto__":"x"}}');
    expect(E.isRight(r) && Object.getPrototypeOf(r.right.metadata)).toBe(Object.prototype);
  });
});
