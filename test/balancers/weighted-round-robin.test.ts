import fc from "fast-check";
import * as O from "fp-ts/lib/Option.js";
import { describe, expect, it } from "vitest";
import { weightedRoundRobin } from "../../src/balancers/index.js";
import type { NamingError } from "../../src/model/index.js";
import { countPicks, drive, info, inst, mustPick } from "./fixtures.js";

/** Distinct hostnames, each with a weight of 1..20. */
const weighted = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), fc.integer({ min: 1, max: 20 })), {
    minLength: 1,
    maxLength: 15,
    selector: ([h]) => h,
  })
  .map((pairs) => new Map(pairs));

const setOf = (weights: Map<string, number>) =>
  info([...weights].map(([h, w]) => inst(h, { metadata: { weight: String(w) } })));

describe("weightedRoundRobin", () => {
  it("gives every instance exactly its weight over each full cycle", () => {
    fc.assert(
      fc.property(weighted, fc.integer({ min: 1, max: 3 }), (weights, cycles) => {
        const total = [...weights.values()].reduce((a, b) => a + b, 0);
        const d = drive(weightedRoundRobin());
        d.push(setOf(weights));
        const counts = countPicks(d.picker, total * cycles);
        for (const [h, w] of weights) expect(counts.get(h)).toBe(w * cycles);
      }),
    );
  });

  it("is smooth: an instance is picked twice in a row only when its weight is at least all the others'", () => {
    fc.assert(
      fc.property(weighted, (weights) => {
        const total = [...weights.values()].reduce((a, b) => a + b, 0);
        const d = drive(weightedRoundRobin());
        d.push(setOf(weights));
        const sequence = Array.from({ length: total * 2 }, () => mustPick(d.picker).instance.hostname);
        sequence.forEach((h, k) => {
          if (k > 0 && sequence[k - 1] === h) {
            const w = weights.get(h)!;
            expect(
              w,
              `${h} picked twice in a row at ${k} with ${JSON.stringify([...weights])}`,
            ).toBeGreaterThanOrEqual(total - w);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it("keeps its current weights across an update in which the instances stay", () => {
    fc.assert(
      fc.property(weighted, fc.integer({ min: 0, max: 50 }), (weights, before) => {
        const total = [...weights.values()].reduce((a, b) => a + b, 0);
        const steady = drive(weightedRoundRobin());
        steady.push(setOf(weights));
        const expected = Array.from(
          { length: before + total },
          () => mustPick(steady.picker).instance.hostname,
        );

        const updated = drive(weightedRoundRobin());
        updated.push(setOf(weights));
        const actual = Array.from({ length: before }, () => mustPick(updated.picker).instance.hostname);
        // A new revision in which every instance changed something WRR does not read.
        const [h0, w0] = [...weights][0]!;
        updated.push(
          info(
            [...weights].map(([h, w]) =>
              inst(h, { metadata: { weight: String(w) }, version: h === h0 && w0 > 0 ? "v2" : "v1" }),
            ),
            "2",
          ),
        );
        expect(updated.pickers).toHaveLength(2);
        for (let k = 0; k < total; k++) actual.push(mustPick(updated.picker).instance.hostname);
        expect(actual).toEqual(expected);
      }),
    );
  });

  it("falls back to the default weight for a missing or bad weight and reports it once per instance version", () => {
    const errors: NamingError[] = [];
    const d = drive(weightedRoundRobin({ defaultWeight: 2, onError: (e) => errors.push(e) }));
    const set = info([
      inst("good", { metadata: { weight: "4" } }),
      inst("missing"),
      inst("bad", { metadata: { weight: "1.5" } }),
      inst("zero", { metadata: { weight: "0" } }),
    ]);
    d.push(set);
    d.push(info(set.instances, "2"));
    expect(errors.map((e) => [e._tag, e.field])).toEqual([
      ["InvalidInstance", "metadata.weight"],
      ["InvalidInstance", "metadata.weight"],
      ["InvalidInstance", "metadata.weight"],
    ]);
    expect(errors.map((e) => e.message).join("\n")).toMatch(
      /bad is "1\.5"[\s\S]*missing is missing[\s\S]*zero is "0"/,
    );
    const counts = countPicks(d.picker, 10);
    expect(Object.fromEntries(counts)).toEqual({ good: 4, missing: 2, bad: 2, zero: 2 });
  });

  it("returns none for an empty set", () => {
    const d = drive(weightedRoundRobin());
    d.push(info([]));
    expect(O.isNone(d.picker.pick())).toBe(true);
  });
});
