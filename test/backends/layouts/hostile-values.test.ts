// Values no writer of a layout would store, but anyone with write access to the store can: JSON
// nested thousands deep (parsed fine, too deep for JSON.stringify), megabytes of text in a field.
// Each is a Decode error for its own key, with a short message; nothing throws.
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { layoutNamed, layoutNames } from "../../../src/backends/layouts/index.js";

const deep = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Each layout's own fields, each given a hostile value in turn. */
const fieldsOf: Record<string, readonly string[]> = {
  "kratos-v1": ["region", "zone", "env", "appid", "hostname", "addrs", "version", "metadata", "status"],
  "kratos-v2": ["id", "name", "version", "metadata", "endpoints"],
  "etcd-endpoints": ["Op", "Addr", "Metadata"],
  "go-zero": [],
};

describe.each(layoutNames)("%s layout and hostile values", (name) => {
  const layout = layoutNamed(name);
  const key = `${layout.appPrefix("app")}42`;
  const decode = (raw: string) => layout.decode({ key, appId: "app", hostname: "42" }, raw);

  const hostile = (fields: readonly string[]) =>
    fields.flatMap((field) => [
      [`${field} nested 5,000 deep in arrays`, `{"${field}":${deep(5_000)}}`],
      [`${field} nested 5,000 deep in objects`, `{"${field}":${deepObject(5_000)}}`],
      [`${field} a list of 1 MB of text`, JSON.stringify({ [field]: ["x".repeat(1_000_000)] })],
      [`${field} a number of 1e300`, `{"${field}":1e300}`],
    ]);
  const cases = [...hostile(fieldsOf[name]!), ["the whole value nested deep", deep(5_000)]];

  it.each(cases)("%s: a Decode error naming the key, in a short message", (_, raw) => {
    const decoded = decode(raw!);
    // etcd-endpoints reads any JSON Metadata as text: a list of text is an instance.
    if (E.isRight(decoded)) {
      expect(name === "etcd-endpoints" && raw!.startsWith('{"Metadata":[')).toBe(true);
      return;
    }
    expect(decoded.left).toMatchObject({ _tag: "Decode", key });
    expect(decoded.left.message.length).toBeLessThan(400);
  });

  it("a 1 MB key that does not fit is described in a short message", () => {
    const long = `${layout.appPrefix("app")}${"k".repeat(1_000_000)} x`;
    const fit = layout.hostnameOf("app", long);
    expect(typeof fit).toBe("object");
    if (typeof fit === "object" && fit._tag === "Misfit") expect(fit.problem.length).toBeLessThan(400);
  });
});
