import { describe, expect, it } from "vitest";
import { preferZone } from "../../src/operators/index.js";
import { hostsOf, info, inst, once } from "./fixtures.js";

const set = info([
  inst("a", { zone: "z1" }),
  inst("b", { zone: "z2" }),
  inst("c", { zone: "z1" }),
  inst("d", { zone: "z2" }),
]);

describe("preferZone", () => {
  it("keeps the local zone while it has enough instances", () => {
    expect(hostsOf(once(set, preferZone("z1")))).toEqual(["a", "c"]);
    expect(hostsOf(once(set, preferZone("z1", { minInstances: 2 })))).toEqual(["a", "c"]);
  });

  it("falls back to every zone when the local zone is empty or below the threshold", () => {
    expect(once(set, preferZone("z3"))).toBe(set);
    expect(hostsOf(once(set, preferZone("z1", { minInstances: 3 })))).toEqual(["a", "b", "c", "d"]);
    expect(hostsOf(once(set, preferZone("z3", { minInstances: 0 })))).toEqual(["a", "b", "c", "d"]);
  });

  it("passes an empty set through (no crash when every zone is empty)", () => {
    expect(once(info([]), preferZone("z1")).instances).toEqual([]);
  });
});
