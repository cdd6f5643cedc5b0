import { describe, expect, it } from "vitest";
import { byCodePoint, goString, goStringMap, goStringSlice } from "../../../src/shared/go-json.js";

describe("Go encoding/json", () => {
  it("escapes as Go does: HTML characters and the JS line separators, controls as JSON.stringify", () => {
    expect(goString("a<b>&c")).toBe('"a\\u003cb\\u003e\\u0026c"');
    expect(goString("x\u2028y\u2029")).toBe('"x\\u2028y\\u2029"');
    expect(goString('q"\\\n\t\u0001')).toBe('"q\\"\\\\\\n\\t\\u0001"');
    expect(goString("ü🙂")).toBe('"ü🙂"');
  });

  it("writes nil maps and slices as null, and sorts map keys in UTF-8 byte order", () => {
    expect(goStringMap({})).toBe("null");
    expect(goStringSlice([])).toBe("null");
    expect(goStringSlice(["a", "<"])).toBe('["a","\\u003c"]');
    expect(goStringMap({ b: "1", a: "2", "10": "3", "9": "4" })).toBe('{"10":"3","9":"4","a":"2","b":"1"}');
    // U+FF5E sorts before U+1F642 in UTF-8, after it in UTF-16 code units.
    expect(["🙂", "～"].sort(byCodePoint)).toEqual(["～", "🙂"]);
    expect(["ab", "a", "b"].sort(byCodePoint)).toEqual(["a", "ab", "b"]);
  });
});
