// A balancer made by a user with the exported `balancer` gets what the built-in ones get: passive
// ejection from its picks' `done`, slow start through the shares its picker is given, and entries
// that survive the sets in which their instance stays.
import * as O from "fp-ts/lib/Option.js";
import { describe, expect, it } from "vitest";
import {
  balancer,
  type BalancerEntry,
  type BalancerSpec,
  type Picked,
  type TrafficOptions,
} from "../../src/index.js";
import type { Instance } from "../../src/model/index.js";
import { drive, info, inst, manualScheduler, mustPick } from "./fixtures.js";

/** Picks the instance with the most credit, each gaining its share per pick (smooth WRR, weight 1). */
interface CreditEntry extends BalancerEntry {
  readonly some: O.Option<Picked>;
  readonly credit: { value: number };
}

const spec: BalancerSpec<CreditEntry> = {
  entry: (instance: Instance, previous, done) => ({
    instance,
    some: O.some({ instance, addr: new URL(instance.addrs[0] ?? "x://").host, done }),
    credit: previous?.credit ?? { value: 0 },
  }),
  picker: (entries, shares) => {
    const total = entries.reduce((sum, _, k) => sum + (shares?.[k] ?? 1), 0);
    return {
      pick: () => {
        let best = entries[0]!;
        for (let k = 0; k < entries.length; k++) {
          const e = entries[k]!;
          e.credit.value += shares?.[k] ?? 1;
          if (e.credit.value > best.credit.value) best = e;
        }
        best.credit.value -= total;
        return best.some;
      },
    };
  },
};
const credit = (options?: TrafficOptions) => balancer(spec, options);

const hosts = (n: number) => Array.from({ length: n }, (_, k) => inst(`h${k}`));
const fail = { error: new Error("unavailable") };

describe("a balancer made with balancer()", () => {
  it("leaves out an instance whose picks report five failures in a row, and takes it back after its time", () => {
    const v = manualScheduler();
    const d = drive(
      credit({ scheduler: v.scheduler, ejection: { consecutiveFailures: 5, baseEjectionMs: 1_000 } }),
    );
    d.push(info(hosts(10)));
    let failed = 0;
    while (failed < 5) {
      const p = mustPick(d.picker);
      if (p.instance.hostname === "h3") {
        p.done(fail);
        failed++;
      } else p.done();
    }
    const seen = new Set(Array.from({ length: 100 }, () => mustPick(d.picker).instance.hostname));
    expect(seen.has("h3")).toBe(false);
    expect(seen.size).toBe(9);
    v.advance(1_000);
    const back = new Set(Array.from({ length: 100 }, () => mustPick(d.picker).instance.hostname));
    expect(back.has("h3")).toBe(true);
    d.stop();
  });

  it("ejects nothing with ejection off", () => {
    const v = manualScheduler();
    const d = drive(credit({ scheduler: v.scheduler, ejection: false }));
    d.push(info(hosts(4)));
    for (let k = 0; k < 100; k++) mustPick(d.picker).done(fail);
    expect(new Set(Array.from({ length: 8 }, () => mustPick(d.picker).instance.hostname)).size).toBe(4);
    d.stop();
  });

  it("gives its picker the shares of an instance in slow start, rising to its fair share", () => {
    const v = manualScheduler();
    const d = drive(credit({ scheduler: v.scheduler, slowStartMs: 10_000 }));
    d.push(info(hosts(4)));
    d.push(info(hosts(5), "2"));
    const shareOfJoiner = () => {
      let hits = 0;
      for (let k = 0; k < 1_000; k++) if (mustPick(d.picker).instance.hostname === "h4") hits++;
      return hits / 1_000;
    };
    const first = shareOfJoiner();
    expect(first).toBeLessThan(0.05);
    v.advance(5_000);
    const middle = shareOfJoiner();
    expect(middle).toBeGreaterThan(first);
    v.advance(5_000);
    expect(shareOfJoiner()).toBeCloseTo(0.2, 2);
    d.stop();
  });

  it("makes an entry only for a new or changed instance, with the previous entry of a changed one", () => {
    const made: string[] = [];
    const counting: BalancerSpec<CreditEntry> = {
      entry: (instance, previous, done) => {
        made.push(`${instance.hostname}${previous === undefined ? "" : " again"}`);
        return spec.entry(instance, previous, done);
      },
      picker: spec.picker,
    };
    const d = drive(balancer(counting, { ejection: false }));
    const three = hosts(3);
    const h3 = inst("h3");
    d.push(info(three));
    expect(made).toEqual(["h0", "h1", "h2"]);
    d.push(info([...three, h3], "2"));
    // The core keeps an unchanged instance's identity: h0, h2 and h3 are the same objects.
    d.push(info([three[0]!, inst("h1", { version: "v2" }), three[2]!, h3], "3"));
    expect(made).toEqual(["h0", "h1", "h2", "h3", "h1 again"]);
    d.stop();
  });

  it("names a bad option", () => {
    expect(() => credit({ slowStartMs: -1 } as TrafficOptions)).toThrow(/balancer slowStartMs/);
  });
});
