import fc from "fast-check";
import { from } from "rxjs";
import { describe, expect, it } from "vitest";
import { instanceChanges } from "../../src/operators/index.js";
import { collect, info, inst } from "./fixtures.js";

const hosts = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 12 });

describe("instanceChanges", () => {
  it("reports everything as added first, then added/removed/updated by hostname", () => {
    const s1 = info([inst("a"), inst("b"), inst("c")]);
    const s2 = info([s1.instances[0]!, inst("b", { version: "v2" }), inst("d")], "2");
    const [first, second] = collect(from([s1, s2]).pipe(instanceChanges()));
    expect(first!.added.map((i) => i.hostname)).toEqual(["a", "b", "c"]);
    expect(first!.previous).toBeUndefined();
    expect(second!.added.map((i) => i.hostname)).toEqual(["d"]);
    expect(second!.removed.map((i) => i.hostname)).toEqual(["c"]);
    expect(second!.updated).toEqual([s2.instances[1]]);
    expect(second!.previous).toBe(s1);
    expect(second!.info).toBe(s2);
  });

  it("replaying the changes on the previous set gives the current set", () => {
    fc.assert(
      fc.property(fc.array(hosts, { minLength: 1, maxLength: 5 }), (sets) => {
        const infos = sets.map((hs, k) =>
          info(
            hs.map((h) => inst(h, { version: `v${k % 2}` })),
            String(k),
          ),
        );
        let current = new Map<string, unknown>();
        for (const c of collect(from(infos).pipe(instanceChanges()))) {
          for (const i of c.removed) current.delete(i.hostname);
          for (const i of [...c.added, ...c.updated]) current.set(i.hostname, i);
          expect([...current.keys()].sort()).toEqual(c.info.instances.map((i) => i.hostname));
          current = new Map(c.info.instances.map((i) => [i.hostname, i]));
        }
      }),
    );
  });
});
