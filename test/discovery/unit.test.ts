// What needs no server: the lossless parse of the server's timestamps, and the naming's options.
import { describe, expect, it } from "vitest";
import { parseLossless } from "../../src/backends/discovery/lossless-json.js";
import { discoveryNaming } from "../../src/index.js";

describe("parseLossless", () => {
  it("keeps integers beyond 2^53 as their digits, and parses the rest as JSON.parse does", () => {
    const text =
      '{"code":0,"data":{"a":{"latest_timestamp":1796410251087118697,"instances":{"z":[{"status":1,"w":-12345678901234567}]}}},' +
      '"small":42,"float":1.2345678901234567,"exp":1e300,"neg":-3,"s":"1796410251087118697 \\" 12345678901234567"}';
    expect(parseLossless(text)).toEqual({
      code: 0,
      data: {
        a: {
          latest_timestamp: "1796410251087118697",
          instances: { z: [{ status: 1, w: "-12345678901234567" }] },
        },
      },
      small: 42,
      float: 1.2345678901234567,
      exp: 1e300,
      neg: -3,
      s: '1796410251087118697 " 12345678901234567',
    });
    expect(Number("1796410251087118697").toString()).not.toBe("1796410251087118697");
  });

  it("throws on text that is not JSON", () => {
    expect(() => parseLossless("<html>")).toThrow(SyntaxError);
  });
});

describe("discoveryNaming options", () => {
  const base = { nodes: ["127.0.0.1:7171"], zone: "sh001", env: "dev" };
  it.each([
    [{ ...base, nodes: [] }, "nodes"],
    [{ ...base, nodes: ["http://127.0.0.1:7171"] }, "nodes"],
    [{ ...base, nodes: ["127.0.0.1:99999"] }, "nodes"],
    [{ ...base, zone: "" }, "zone"],
    [{ ...base, env: "a b" }, "env"],
    [{ ...base, renewIntervalMs: 0 }, "renewIntervalMs"],
    [{ ...base, emptyCheckMs: 1.5 }, "emptyCheckMs"],
    [{ ...base, ttlSeconds: 30 }, "ttlSeconds"],
  ])("rejects %j with InvalidOption naming %s", (options, field) => {
    expect(() => discoveryNaming(options as never)).toThrow(
      expect.objectContaining({ _tag: "InvalidOption", field }),
    );
  });
});
