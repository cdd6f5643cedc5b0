import * as fc from "fast-check";
import type { OperatorFunction } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  p2c,
  roundRobin,
  weightedRoundRobin,
  type BalancerOptions,
  type Picker,
} from "../../src/balancers/index.js";
import type { InstancesInfo } from "../../src/model/index.js";
import { drive, info, inst, manualScheduler, mustPick, seeded } from "./fixtures.js";

type Make = (options: BalancerOptions) => OperatorFunction<InstancesInfo, Picker>;
const balancers: [string, Make][] = [
  ["roundRobin", (o) => roundRobin(o)],
  ["weightedRoundRobin", (o) => weightedRoundRobin(o)],
  ["p2c", (o) => p2c({ ...o, random: seeded(5) })],
];

const hosts = (n: number) => Array.from({ length: n }, (_, k) => inst(`h${k}`));

/** The share of `picks` picks that went to `h`, each answered at once in 1 ms. */
const shareOf = (d: { picker: Picker }, h: string, picks: number): number => {
  let hits = 0;
  for (let k = 0; k < picks; k++) {
    const p = mustPick(d.picker);
    if (p.instance.hostname === h) hits++;
    p.done({ latencyMs: 1 });
  }
  return hits / picks;
};

describe.each(balancers)("%s: slow start (property, virtual time)", (_, make) => {
  it("ramps a joiner's share up from a tenth to its fair share over slowStartMs, never above it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        (running, slowStartMs) => {
          const v = manualScheduler();
          const d = drive(make({ scheduler: v.scheduler, slowStartMs }));
          d.push(info(hosts(running)));
          shareOf(d, "h0", 200); // the first set: no ramp, everyone learned
          d.push(info(hosts(running + 1), "2"));
          const joiner = `h${running}`;
          const fair = 1 / (running + 1);
          const shares: number[] = [];
          for (let step = 0; step < 10; step++) {
            shares.push(shareOf(d, joiner, 400));
            v.advance(slowStartMs / 10);
          }
          // The first share is that of a tenth of a weight.
          expect(shares[0]!).toBeLessThan(fair * 0.5);
          // Rising (allowing the noise of p2c's tosses), never much above fair.
          for (let k = 1; k < shares.length; k++) expect(shares[k]!).toBeGreaterThan(shares[k - 1]! - 0.05);
          for (const s of shares) expect(s).toBeLessThan(fair + 0.06);
          // Done: the fair share, and no more timers.
          v.advance(1);
          expect(Math.abs(shareOf(d, joiner, 2_000) - fair)).toBeLessThan(0.06);
          expect(v.pending()).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("does not ramp the instances of the first set", () => {
    const v = manualScheduler();
    const d = drive(make({ scheduler: v.scheduler, slowStartMs: 10_000 }));
    d.push(info(hosts(3)));
    expect(Math.abs(shareOf(d, "h2", 3_000) - 1 / 3)).toBeLessThan(0.05);
    expect(d.pickers).toHaveLength(1);
  });

  it("ramps an instance up again when it returns from ejection", () => {
    const v = manualScheduler();
    const d = drive(
      // One failure ejects: p2c itself shuns an instance after its first failure.
      make({
        scheduler: v.scheduler,
        slowStartMs: 10_000,
        ejection: { baseEjectionMs: 1_000, consecutiveFailures: 1 },
      }),
    );
    d.push(info(hosts(4)));
    const ejections = d.pickers.length;
    for (let k = 0; k < 1_000 && d.pickers.length === ejections; k++) {
      const p = mustPick(d.picker);
      p.done(p.instance.hostname === "h1" ? { error: new Error("down") } : { latencyMs: 1 });
    }
    expect(d.pickers.length).toBe(ejections + 1);
    expect(shareOf(d, "h1", 400)).toBe(0);
    v.advance(1_000);
    expect(shareOf(d, "h1", 400)).toBeLessThan(0.1);
    v.advance(10_000);
    expect(Math.abs(shareOf(d, "h1", 2_000) - 0.25)).toBeLessThan(0.06);
  });
});

describe("p2c start fairness", () => {
  /**
   * Sequential calls in virtual time to servers alike: 1 ms ±30%, the first call of each 5 ms (a
   * cold connection). Each call's time passes before the next pick.
   */
  const sequential = (
    d: { picker: Picker },
    advance: (ms: number) => void,
    calls: number,
    random: () => number,
  ) => {
    const counts = new Map<string, number>();
    for (let k = 0; k < calls; k++) {
      const p = mustPick(d.picker);
      const h = p.instance.hostname;
      const first = !counts.has(h) && !served.has(h);
      counts.set(h, (counts.get(h) ?? 0) + 1);
      served.add(h);
      const latencyMs = first ? 5 : 0.7 + 0.6 * random();
      advance(latencyMs);
      p.done({ latencyMs });
    }
    return counts;
  };
  const served = new Set<string>();

  it("splits 200 sequential calls to two fresh, identical servers within 40-60%", () => {
    // Each call is a toss between alike servers, so a fair coin's spread is the floor: 200 tosses
    // fall outside 40-60% about once in 170 runs. Of 200 seeded runs, at least 196 must be inside.
    const splits = Array.from({ length: 200 }, (_, seed) => {
      served.clear();
      const v = manualScheduler();
      const d = drive(p2c({ scheduler: v.scheduler, random: seeded(seed) }));
      d.push(info(hosts(2)));
      return (sequential(d, v.advance, 200, seeded(seed + 1000)).get("h0") ?? 0) / 200;
    });
    const inside = splits.filter((x) => x >= 0.4 && x <= 0.6).length;
    expect(inside).toBeGreaterThanOrEqual(196);
    expect(Math.abs(splits.reduce((a, b) => a + b, 0) / splits.length - 0.5)).toBeLessThan(0.02);
  });

  it("gives a joiner its fair share within slowStartMs + 1 s", () => {
    served.clear();
    const v = manualScheduler();
    const d = drive(p2c({ scheduler: v.scheduler, random: seeded(11), slowStartMs: 5_000 }));
    d.push(info(hosts(2)));
    sequential(d, v.advance, 2_000, seeded(12));
    d.push(info(hosts(3), "2"));
    const start = v.scheduler.now();
    while (v.scheduler.now() - start < 6_000) sequential(d, v.advance, 100, seeded(13));
    const counts = sequential(d, v.advance, 1_500, seeded(14));
    expect(Math.abs(counts.get("h2")! / 1_500 - 1 / 3)).toBeLessThan(0.07);
  });
});
