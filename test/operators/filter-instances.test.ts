import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterInstances } from "../../src/operators/index.js";
import { hostsOf, info, inst, once } from "./fixtures.js";

const set = info([
  inst("a", { zone: "z1", env: "prod", status: 0, metadata: { cluster: "c1", color: "blue" } }),
  inst("b", { zone: "z2", env: "prod", status: 1, metadata: { cluster: "c2" } }),
  inst("c", { zone: "z1", env: "dev", status: 1, metadata: { cluster: "c1", color: "red" } }),
]);

describe("filterInstances", () => {
  it("selects by zone, env, cluster, status and metadata; arrays are sets of allowed values", () => {
    expect(hostsOf(once(set, filterInstances({ zone: "z1" })))).toEqual(["a", "c"]);
    expect(hostsOf(once(set, filterInstances({ env: ["dev", "prod"], cluster: "c1" })))).toEqual(["a", "c"]);
    expect(hostsOf(once(set, filterInstances({ status: 1 })))).toEqual(["b", "c"]);
    expect(hostsOf(once(set, filterInstances({ metadata: { color: ["red", "green"] } })))).toEqual(["c"]);
    expect(hostsOf(once(set, filterInstances({ zone: [] })))).toEqual([]);
    expect(
      hostsOf(
        once(
          set,
          filterInstances((i) => i.hostname !== "b"),
        ),
      ),
    ).toEqual(["a", "c"]);
  });

  it("never drops status 0 unless asked to", () => {
    expect(hostsOf(once(set, filterInstances({ zone: "z1", env: "prod" })))).toEqual(["a"]);
    expect(once(set, filterInstances({}))).toBe(set);
  });

  it("keeps exactly the instances matching the predicate, in order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 20 }),
        fc.string({ maxLength: 1 }),
        (hosts, ch) => {
          const s = info(hosts.map((h) => inst(h)));
          const kept = hostsOf(
            once(
              s,
              filterInstances((i) => i.hostname.includes(ch)),
            ),
          );
          expect(kept).toEqual(hostsOf(s).filter((h) => h.includes(ch)));
          expect(
            Object.isFrozen(
              once(
                s,
                filterInstances((i) => i.hostname.includes(ch)),
              ).instances,
            ),
          ).toBe(true);
        },
      ),
    );
  });
});
