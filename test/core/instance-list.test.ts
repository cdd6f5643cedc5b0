import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InstanceList } from "../../src/core/index.js";
import { instance, type Instance } from "../../src/model/index.js";

const inst = (hostname: string, version = ""): Instance => {
  const r = instance({ appId: "a", hostname, version, lastTs: 0 });
  if (r._tag === "Left") throw r.left;
  return r.right;
};

type Op = { kind: "upsert"; host: string; version: string } | { kind: "remove"; host: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("upsert" as const),
    host: fc.stringMatching(/^h[0-9a-z]{1,4}$/),
    version: fc.string({ maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("remove" as const), host: fc.stringMatching(/^h[0-9a-z]{1,4}$/) }),
);

describe("InstanceList", () => {
  it("matches a sorted reference model under any batches of edits, and old versions never change", () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 400 }), { maxLength: 8 }), (batches) => {
        let list = InstanceList.empty;
        const model = new Map<string, Instance>();
        const versions: { list: InstanceList; snapshot: Instance[] }[] = [];
        for (const batch of batches) {
          const editor = list.edit();
          for (const o of batch) {
            if (o.kind === "upsert") {
              const i = inst(o.host, o.version);
              editor.upsert(i);
              model.set(o.host, i);
            } else {
              expect(editor.remove(o.host)).toBe(model.delete(o.host));
            }
          }
          list = editor.done();
          const expected = [...model.values()].sort((a, b) =>
            a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0,
          );
          expect(list.toArray()).toEqual(expected);
          expect(list.size).toBe(expected.length);
          for (const i of expected) expect(list.get(i.hostname)).toBe(i);
          versions.push({ list, snapshot: expected });
        }
        for (const v of versions) expect([...v.list.toArray()]).toEqual(v.snapshot);
      }),
      { numRuns: 150 },
    );
  });

  it("builds the flat frozen array once per version", () => {
    const list = InstanceList.fromSorted([inst("a"), inst("b")]);
    const first = list.toArray();
    expect(list.toArray()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("shares the chunks an edit did not touch", () => {
    const hosts = Array.from({ length: 1_000 }, (_, i) => `h${String(i).padStart(4, "0")}`);
    const base = InstanceList.fromSorted(hosts.map((h) => inst(h)));
    const editor = base.edit();
    editor.upsert(inst("h0500", "2"));
    const next = editor.done();
    // Every instance but the edited one is the same object in both versions.
    const a = base.toArray();
    const b = next.toArray();
    expect(b.filter((x, i) => x !== a[i]).map((x) => x.hostname)).toEqual(["h0500"]);
    expect(base.get("h0500")!.version).toBe("");
    expect(next.get("h0500")!.version).toBe("2");
  });
});
