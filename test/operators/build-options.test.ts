import { hostname } from "node:os";
import { Subject, of } from "rxjs";
import { describe, expect, it } from "vitest";
import { buildOptions, subset } from "../../src/operators/index.js";
import { collect, hostsOf, info, inst, once } from "./fixtures.js";

const set = info(
  Array.from({ length: 12 }, (_, k) =>
    inst(`h${k}`, { zone: k % 3 === 0 ? "z1" : "z2", env: k % 2 === 0 ? "prod" : "dev" }),
  ),
);

describe("buildOptions", () => {
  it("is the identity without options: the same objects pass", () => {
    const source = new Subject<typeof set>();
    expect(source.pipe(buildOptions())).toBe(source);
    expect(once(set, buildOptions({}))).toBe(set);
  });

  it("filters, then prefers the zone, then subsets", () => {
    const out = once(
      set,
      buildOptions({ filter: { env: "prod" }, zone: "z1", subset: { size: 1, clientId: "x" } }),
    );
    // prod: h0 h2 h4 h6 h8 h10; of these z1: h0 h6; one of them.
    expect(out.instances).toHaveLength(1);
    expect(["h0", "h6"]).toContain(out.instances[0]!.hostname);
  });

  it("falls back to all zones below minInstances, and subsets by os.hostname() by default", () => {
    const zoned = once(set, buildOptions({ zone: { zone: "z1", minInstances: 5 } }));
    expect(zoned.instances).toHaveLength(12);
    const bySize = collect(of(set).pipe(buildOptions({ subset: 4 })));
    expect(hostsOf(bySize[0]!)).toEqual(hostsOf(once(set, subset(4, hostname()))));
  });
});
