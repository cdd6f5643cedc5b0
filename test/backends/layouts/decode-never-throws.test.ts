import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { layoutNamed, layoutNames } from "../../../src/backends/layouts/index.js";

// Strings, JSON of any shape, and JSON objects with each layout's own field names.
const anyValue = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .dictionary(
      fc.constantFrom(
        "id",
        "name",
        "version",
        "metadata",
        "endpoints",
        "Op",
        "Addr",
        "Metadata",
        "appid",
        "hostname",
      ),
      fc.jsonValue(),
    )
    .map((o) => JSON.stringify(o)),
);

describe.each(layoutNames)("%s layout decoding", (name) => {
  const layout = layoutNamed(name);
  it("never throws: any value is an instance or a Decode error naming the key", () => {
    fc.assert(
      fc.property(anyValue, (raw) => {
        const key = `${layout.appPrefix("app")}42`;
        const decoded = layout.decode({ key, appId: "app", hostname: "42" }, raw);
        if (E.isLeft(decoded)) expect(decoded.left).toMatchObject({ _tag: "Decode", key });
        else expect(decoded.right).toMatchObject({ appId: "app", hostname: "42" });
      }),
      { numRuns: 500 },
    );
  });
  it("never throws on any key: a hostname, or a problem", () => {
    fc.assert(
      fc.property(fc.string(), (suffix) => {
        const fit = layout.hostnameOf("app", `${layout.appPrefix("app")}${suffix}`);
        expect(typeof fit === "string" || typeof fit === "object").toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
