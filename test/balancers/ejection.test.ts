import * as fc from "fast-check";
import * as O from "fp-ts/lib/Option.js";
import type { OperatorFunction } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  p2c,
  random,
  ringHash,
  roundRobin,
  weightedRoundRobin,
  type BalancerOptions,
  type Picker,
} from "../../src/balancers/index.js";
import type { InstancesInfo } from "../../src/model/index.js";
import { drive, info, inst, manualScheduler, mustPick } from "./fixtures.js";

type Make = (options: BalancerOptions) => OperatorFunction<InstancesInfo, Picker>;
const balancers: [string, Make][] = [
  ["roundRobin", (o) => roundRobin(o)],
  ["random", (o) => random(o)],
  ["weightedRoundRobin", (o) => weightedRoundRobin(o)],
  ["p2c", (o) => p2c(o)],
  ["ringHash", (o) => ringHash({ ...o, replicas: 16 })],
];

/** The hostnames a picker can pick (many picks, keyless and keyed, each reported done()). */
const reach = (picker: Picker): Set<string> => {
  const seen = new Set<string>();
  for (let k = 0; k < 300; k++) {
    const choice = picker.pick(k % 2 === 0 ? {} : { hashKey: `k${k}` });
    if (O.isNone(choice)) continue;
    seen.add(choice.value.instance.hostname);
    choice.value.done({ notSent: true });
  }
  return seen;
};

const hosts = (n: number) => Array.from({ length: n }, (_, k) => inst(`h${k}`));
const fail = { error: new Error("unavailable") };

describe.each(balancers)("%s: passive ejection", (_, make) => {
  it("ejects an instance after 5 failures in a row, for 30 s, then takes it back", () => {
    const v = manualScheduler();
    const d = drive(make({ scheduler: v.scheduler }));
    d.push(info(hosts(4)));
    const before = d.pickers.length;
    // Four failures and a success: the count starts again.
    const picked = (h: string) => {
      for (;;) {
        const p = mustPick(d.picker, { hashKey: "any" });
        if (p.instance.hostname === h) return p;
        // Pick until h: the keyed balancer is told which key reaches h below.
        p.done();
        const keyed = [...Array(200).keys()].map((k) => `key-${k}`);
        for (const key of keyed) {
          const q = mustPick(d.picker, { hashKey: key });
          if (q.instance.hostname === h) return q;
          q.done({ notSent: true });
        }
        // p2c shuns an instance after its first failure, and probes it again after 3 s unpicked.
        v.advance(3_001);
      }
    };
    for (let k = 0; k < 4; k++) picked("h1").done(fail);
    picked("h1").done();
    for (let k = 0; k < 4; k++) picked("h1").done(fail);
    expect(d.pickers.length).toBe(before);
    picked("h1").done(fail);
    expect(d.pickers.length).toBe(before + 1);
    expect(reach(d.picker).has("h1")).toBe(false);
    v.advance(29_999);
    expect(reach(d.picker).has("h1")).toBe(false);
    v.advance(1);
    expect(reach(d.picker).has("h1")).toBe(true);
  });

  it("turns off with ejection: false", () => {
    const d = drive(make({ ejection: false, scheduler: manualScheduler().scheduler }));
    d.push(info(hosts(2)));
    for (let k = 0; k < 100; k++) mustPick(d.picker).done(fail);
    expect(d.pickers).toHaveLength(1);
    expect(reach(d.picker)).toEqual(new Set(["h0", "h1"]));
  });
});

/**
 * A random workload in virtual time: instances fail with their own probability, time passes in
 * random steps, the set changes now and then. Checked after every step: the rules of ejection.
 */
describe("ejection rules (property, virtual time)", () => {
  const rules = {
    consecutiveFailures: 3,
    baseEjectionMs: 1_000,
    maxEjectionMs: 5_000,
    maxEjectedPercent: 30,
  };

  it("never ejects more than the max share of the set (at least one, never all), never a healthy instance", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
        fc.array(
          fc.record({
            picks: fc.integer({ min: 0, max: 40 }),
            advanceMs: fc.integer({ min: 0, max: 3_000 }),
            resize: fc.option(fc.integer({ min: 1, max: 12 }), { freq: 8 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer(),
        (size0, failRates, steps, seed) => {
          const v = manualScheduler();
          let r = seed >>> 0;
          const rnd = () => (r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 4294967296;
          const d = drive(roundRobin({ scheduler: v.scheduler, ejection: rules }));
          let size = size0;
          d.push(info(hosts(size)));
          // An instance with fail rate 0 is healthy; the rest fail now and then or always.
          const healthy = (h: string) => failRates[Number(h.slice(1))]! === 0;
          for (const step of steps) {
            if (step.resize !== null) {
              size = step.resize;
              d.push(info(hosts(size), String(size)));
            }
            for (let k = 0; k < step.picks; k++) {
              const p = mustPick(d.picker);
              const h = p.instance.hostname;
              p.done(healthy(h) || rnd() >= failRates[Number(h.slice(1))]! ? undefined : fail);
            }
            v.advance(step.advanceMs);
            const seen = reach(d.picker);
            const out = size - seen.size;
            const allowed = Math.min(size - 1, Math.max(1, Math.floor((size * 30) / 100)));
            expect(seen.size).toBeGreaterThan(0);
            expect(out).toBeLessThanOrEqual(allowed);
            for (const i of hosts(size)) if (healthy(i.hostname)) expect(seen.has(i.hostname)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("ejects for longer each time an instance fails again soon after its return, up to the max", () => {
    const v = manualScheduler();
    const d = drive(roundRobin({ scheduler: v.scheduler, ejection: rules }));
    d.push(info(hosts(3)));
    const durations: number[] = [];
    for (let round = 0; round < 7; round++) {
      // Fail h1 until it is out, then measure how long it stays out.
      while (reach(d.picker).has("h1")) {
        const p = mustPick(d.picker);
        p.done(p.instance.hostname === "h1" ? fail : undefined);
      }
      let out = 0;
      while (!reach(d.picker).has("h1")) {
        v.advance(100);
        out += 100;
      }
      durations.push(out);
    }
    expect(durations).toEqual([1_000, 2_000, 3_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it("forgives: an instance that stayed healthy long enough is ejected for the base time again", () => {
    const v = manualScheduler();
    const d = drive(roundRobin({ scheduler: v.scheduler, ejection: rules }));
    d.push(info(hosts(3)));
    const ejectH1 = () => {
      while (reach(d.picker).has("h1")) {
        const p = mustPick(d.picker);
        p.done(p.instance.hostname === "h1" ? fail : undefined);
      }
      let out = 0;
      while (!reach(d.picker).has("h1")) {
        v.advance(100);
        out += 100;
      }
      return out;
    };
    expect([ejectH1(), ejectH1(), ejectH1()]).toEqual([1_000, 2_000, 3_000]);
    v.advance(10_000); // ten base times healthy
    expect(ejectH1()).toBe(1_000);
  });

  it("ejects on the failure rate in a window, even without failures in a row", () => {
    const v = manualScheduler();
    const d = drive(
      roundRobin({
        scheduler: v.scheduler,
        ejection: {
          consecutiveFailures: 0,
          failureRate: { threshold: 0.5, minRequests: 20, windowMs: 1_000 },
        },
      }),
    );
    d.push(info(hosts(3)));
    // h1 fails every other request: never two in a row, half of them.
    let h1 = 0;
    while (reach(d.picker).has("h1") && h1 < 100) {
      const p = mustPick(d.picker);
      if (p.instance.hostname === "h1") p.done(h1++ % 2 === 0 ? fail : undefined);
      else p.done();
    }
    // 20 requests reach the minimum; the 20th is a success, and rules are checked at a failure:
    // the 21st.
    expect(h1).toBe(21);
    expect(reach(d.picker).has("h1")).toBe(false);
  });

  it("tells onEvent of each ejection and return", () => {
    const v = manualScheduler();
    const events: string[] = [];
    const d = drive(
      roundRobin({
        scheduler: v.scheduler,
        ejection: {
          ...rules,
          onEvent: (e) =>
            events.push(
              `${v.scheduler.now()} ${e.type} ${e.instance.hostname}${e.type === "ejected" ? ` ${e.forMs}` : ""}`,
            ),
        },
      }),
    );
    d.push(info(hosts(3)));
    while (reach(d.picker).has("h1")) {
      const p = mustPick(d.picker);
      p.done(p.instance.hostname === "h1" ? fail : undefined);
    }
    v.advance(1_000);
    expect(events).toEqual(["0 ejected h1 1000", "1000 returned h1"]);
  });

  it("never ejects the only instance", () => {
    const v = manualScheduler();
    const d = drive(p2c({ scheduler: v.scheduler }));
    d.push(info(hosts(1)));
    for (let k = 0; k < 100; k++) mustPick(d.picker).done(fail);
    expect(reach(d.picker)).toEqual(new Set(["h0"]));
  });

  it("rejects bad ejection options naming them", () => {
    expect(() => roundRobin({ ejection: { consecutiveFailures: -1 } })).toThrow(
      "roundRobin ejection.consecutiveFailures",
    );
    expect(() => roundRobin({ ejection: { baseEjectionMS: 5 } as never })).toThrow(
      'did you mean "baseEjectionMs"',
    );
    expect(() => p2c({ ejection: { failureRate: { threshold: 2 } } })).toThrow(
      "p2c ejection.failureRate.threshold",
    );
    expect(() => roundRobin({ slowStartMs: -5 })).toThrow("roundRobin slowStartMs");
    expect(() => roundRobin({ scheduler: {} as never })).toThrow("roundRobin scheduler");
  });
});
