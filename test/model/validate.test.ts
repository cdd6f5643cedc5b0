import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addrProblem,
  instance,
  isNamingError,
  nameProblem,
  validateInstance,
  type Instance,
  type InstanceInput,
  type NamingError,
} from "../../src/model/index.js";

const base: InstanceInput = { appId: "demo.service", hostname: "host-1", addrs: ["grpc://10.0.0.1:9000"] };

const leftOf = (input: InstanceInput): NamingError => {
  const r = instance(input);
  if (E.isRight(r)) throw new Error(`expected a Left for ${JSON.stringify(input)}, got Right`);
  return r.left;
};

const expectInvalid = (input: InstanceInput, field: string, reason?: RegExp): NamingError => {
  const err = leftOf(input);
  expect(err._tag).toBe("InvalidInstance");
  expect(err.field).toBe(field);
  expect(err.message).toContain(field);
  if (reason !== undefined) expect(err.message).toMatch(reason);
  expect(isNamingError(err)).toBe(true);
  expect(err).toBeInstanceOf(Error);
  expect(err.recoverable).toBe(false);
  return err;
};

const rejectedChars: readonly [string, string][] = [
  ["space", " "],
  ["tab", "\t"],
  ["newline", "\n"],
  ["carriage return", "\r"],
  ["vertical tab", "\v"],
  ["form feed", "\f"],
  ["no-break space U+00A0", "\u00a0"],
  ["ideographic space U+3000", "\u3000"],
  ["en quad U+2000", "\u2000"],
  ["line separator U+2028", "\u2028"],
  ["paragraph separator U+2029", "\u2029"],
  ["BOM U+FEFF", "\ufeff"],
  ["NUL U+0000", "\u0000"],
  ["U+0001", "\u0001"],
  ["escape U+001B", "\u001b"],
  ["DEL U+007F", "\u007f"],
  ["NEL U+0085", "\u0085"],
  ["C1 U+009F", "\u009f"],
];

describe.each(["appId", "hostname"] as const)("validation of %s", (field) => {
  const withName = (value: string): InstanceInput => ({ ...base, [field]: value });

  it("accepts a plain name", () => {
    const r = instance(withName("a.b-c_d:1@x"));
    expect(E.isRight(r)).toBe(true);
  });

  it("rejects an empty name", () => {
    expectInvalid(withName(""), field, /empty/);
  });

  it("rejects a missing name (defaulted to empty)", () => {
    const input: InstanceInput = { ...base };
    delete (input as Record<string, unknown>)[field];
    expectInvalid(input, field, /empty/);
  });

  it.each(rejectedChars)("rejects a name with a %s", (_label, c) => {
    for (const value of [c, `a${c}b`, `${c}ab`, `ab${c}`]) {
      expectInvalid(withName(value), field);
    }
  });

  if (field === "hostname") {
    it('rejects a "/" and names it in the message', () => {
      for (const value of ["/", "a/b", "/ab", "ab/"]) expectInvalid(withName(value), field, /"\/"/);
    });
  } else {
    it('accepts a "/" between segments (etcd targets, go-zero keys) but no empty segment', () => {
      expect(E.isRight(instance(withName("svc/echo")))).toBe(true);
      expect(E.isRight(instance(withName("app/user.rpc/v2")))).toBe(true);
      for (const value of ["/", "/a", "a/", "a//b"]) expectInvalid(withName(value), field, /empty segment/);
    });
  }

  it("names the offending code point of whitespace and control characters", () => {
    expectInvalid(withName("a\u3000b"), field, /U\+3000/);
    expectInvalid(withName("a\u0085b"), field, /U\+0085/);
    expectInvalid(withName("a\u0000b"), field, /U\+0000/);
  });

  it("accepts exactly 256 bytes and rejects 257", () => {
    expect(E.isRight(instance(withName("a".repeat(256))))).toBe(true);
    expectInvalid(withName("a".repeat(257)), field, /256/);
  });

  it("counts UTF-8 bytes, not characters", () => {
    // "é" is 2 bytes, "世" is 3 bytes, "😀" is 4 bytes (2 UTF-16 units).
    expect(E.isRight(instance(withName("é".repeat(128))))).toBe(true);
    expectInvalid(withName("é".repeat(128) + "a"), field, /257/);
    expect(E.isRight(instance(withName("世".repeat(85) + "a")))).toBe(true); // 256 bytes
    expectInvalid(withName("世".repeat(86)), field, /258/); // 86 characters, 258 bytes
    expect(E.isRight(instance(withName("😀".repeat(64))))).toBe(true); // 256 bytes
    expectInvalid(withName("😀".repeat(64) + "a"), field, /257/);
    // 100 characters is far under 256 characters but over 256 bytes
    expectInvalid(withName("世".repeat(100)), field, /300/);
  });

  it("accepts non-ASCII letters that are neither whitespace nor control", () => {
    expect(E.isRight(instance(withName("服务-ünïcode")))).toBe(true);
  });

  it("rejects a non-string", () => {
    expectInvalid({ ...base, [field]: 42 as unknown as string }, field, /string/);
  });
});

describe("nameProblem", () => {
  it("returns undefined for a valid name and a reason otherwise", () => {
    expect(nameProblem("demo.service")).toBeUndefined();
    expect(nameProblem("")).toMatch(/empty/);
    expect(nameProblem("a b")).toMatch(/whitespace/);
    expect(nameProblem("a\u0001b")).toMatch(/control/);
    expect(nameProblem("a/b")).toMatch(/\//);
    expect(nameProblem("x".repeat(257))).toMatch(/at most 256 bytes/);
    expect(nameProblem(undefined)).toMatch(/string/);
    expect(nameProblem(null)).toMatch(/string/);
  });
});

describe("validation of addrs", () => {
  it.each([
    "grpc://10.0.0.1:9000",
    "http://host-1:8080/path?q=1",
    "https://[::1]:443",
    "discovery:///x",
    "unix:///tmp/sock",
  ])("accepts the URL %s", (addr) => {
    expect(E.isRight(instance({ ...base, addrs: [addr] }))).toBe(true);
  });

  it("accepts no addrs at all", () => {
    const r = instance({ ...base, addrs: [] });
    expect(E.isRight(r) && r.right.addrs).toEqual([]);
  });

  it.each(["not a url", "", "10.0.0.1:9000x y", "://nope", "/relative/path", "grpc://[bad"])(
    "rejects the non-URL %j and names its index",
    (addr) => {
      const err = expectInvalid({ ...base, addrs: [addr] }, "addrs[0]");
      expect(err.message).toContain(JSON.stringify(addr));
    },
  );

  it("names the index of the bad one: addrs[1]", () => {
    expectInvalid(
      { ...base, addrs: ["grpc://10.0.0.1:9000", "not a url", "http://ok:1"] },
      "addrs[1]",
      /not a url/,
    );
  });

  it("rejects a non-string addr and a non-array addrs", () => {
    expectInvalid({ ...base, addrs: ["grpc://a:1", 7 as unknown as string] }, "addrs[1]", /string/);
    expectInvalid({ ...base, addrs: "grpc://a:1" as unknown as string[] }, "addrs");
  });

  it("addrProblem", () => {
    expect(addrProblem("grpc://10.0.0.1:9000")).toBeUndefined();
    expect(addrProblem("not a url")).toMatch(/not a parseable URL/);
    expect(addrProblem(1)).toMatch(/string/);
  });

  // addrProblem recognises the common "scheme://host:port" without URL parsing; whatever it lets
  // through that way must be exactly what URL parsing accepts. These are the addresses where the
  // WHATWG parser decides in ways a shortcut could miss.
  it.each([
    ["http://10.0.0.256:80", "an octet over 255"],
    ["http://10.0.0.08:80", "a leading zero that reads as octal, with a non-octal digit"],
    ["http://10.0.0.1:65536", "a port over 65535"],
    ["grpc://10.0.0.1:70000", "a port over 65535, opaque host"],
    ["http://1.2.3.4.5:80", "five numeric parts"],
    ["http://api.123:80", "a last label that is a number"],
    ["http://api.0x1g:80", "a last label that starts like hex"],
    ["http://xn--a.internal:80", "a label that is not valid punycode"],
    ["http://a..b:80", "an empty label"],
    ["grpc://:9000", "no host"],
  ])("agrees with URL parsing on %s (%s)", (addr) => {
    expect(addrProblem(addr) === undefined).toBe(URL.canParse(addr));
  });

  it("agrees with URL parsing on generated scheme://host:port addresses", () => {
    const label = fc.stringMatching(
      /^(?:[A-Za-z0-9_-]{1,6}|0x[0-9a-fg]{0,3}|xn--[a-z0-9]{0,4}|0\d{1,3}|\d{1,4}|)$/,
    );
    const host = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join("."));
    const port = fc.oneof(
      fc.integer({ min: 0, max: 70_000 }).map(String),
      fc.constantFrom("", "00080", "8a"),
    );
    const scheme = fc.constantFrom("grpc", "http", "https", "HTTP", "file", "ws", "grpcs", "dns");
    fc.assert(
      fc.property(scheme, host, port, (s, h, p) => {
        const addr = `${s}://${h}:${p}`;
        expect(addrProblem(addr) === undefined, addr).toBe(URL.canParse(addr));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("validation of the other fields", () => {
  it("metadata values must be strings, naming the key", () => {
    expectInvalid({ ...base, metadata: { weight: 10 as unknown as string } }, "metadata.weight", /string/);
    expectInvalid({ ...base, metadata: { a: "1", b: null as unknown as string } }, "metadata.b");
  });

  it("metadata must be a record (null is Go's nil map: the default {})", () => {
    const r = instance({ ...base, metadata: null as unknown as Record<string, string> });
    expect(E.isRight(r) && r.right.metadata).toEqual({});
    expectInvalid({ ...base, metadata: ["x"] as unknown as Record<string, string> }, "metadata");
    expectInvalid({ ...base, metadata: "w=1" as unknown as Record<string, string> }, "metadata");
  });

  it("status must be an integer", () => {
    expectInvalid({ ...base, status: 1.5 }, "status", /integer/);
    expectInvalid({ ...base, status: Number.NaN }, "status");
    expectInvalid({ ...base, status: Number.POSITIVE_INFINITY }, "status");
    expectInvalid({ ...base, status: "1" as unknown as number }, "status");
    for (const status of [0, 1, 2, -1]) {
      const r = instance({ ...base, status });
      expect(E.isRight(r) && r.right.status).toBe(status);
    }
  });

  it("lastTs must be a finite number", () => {
    expectInvalid({ ...base, lastTs: Number.NaN }, "lastTs");
    expectInvalid({ ...base, lastTs: Number.POSITIVE_INFINITY }, "lastTs");
    expectInvalid({ ...base, lastTs: "5" as unknown as number }, "lastTs");
    expect(E.isRight(instance({ ...base, lastTs: 0 }))).toBe(true);
  });

  it.each(["region", "zone", "env", "version"] as const)("%s must be a string", (field) => {
    expectInvalid({ ...base, [field]: 3 as unknown as string }, field);
    expect(E.isRight(instance({ ...base, [field]: "x y/ anything" }))).toBe(true);
  });

  it("checks appId before hostname (the first problem is reported)", () => {
    expectInvalid({ ...base, appId: "", hostname: "" }, "appId");
  });
});

describe("validateInstance", () => {
  const valid: Instance = {
    region: "",
    zone: "",
    env: "",
    appId: "a",
    hostname: "h",
    addrs: [],
    version: "",
    lastTs: 0,
    metadata: {},
    status: 0,
  };

  it("returns the same instance when valid", () => {
    const r = validateInstance()(valid);
    expect(E.isRight(r) && r.right).toBe(valid);
  });

  it("puts the key on the error when given", () => {
    const r = validateInstance("/kratos_etcd/a/h")({ ...valid, hostname: "h h" });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left.key).toBe("/kratos_etcd/a/h");
      expect(r.left.field).toBe("hostname");
    }
  });
});
