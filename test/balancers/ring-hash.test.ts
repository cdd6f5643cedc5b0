import fc from "fast-check";
import * as O from "fp-ts/lib/Option.js";
import { describe, expect, it } from "vitest";
import { ringHash, type Picker } from "../../src/balancers/index.js";
import { NamingError } from "../../src/model/index.js";
import { countPicks, drive, info, inst, mustPick } from "./fixtures.js";

const keys = Array.from({ length: 10_000 }, (_, k) => `key-${k}`);

const hostnames = (min: number, max: number) =>
  fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/), { minLength: min, maxLength: max });

const owners = (picker: Picker): string[] =>
  keys.map((hashKey) => mustPick(picker, { hashKey }).instance.hostname);

const pickerFor = (hosts: readonly string[], replicas?: number): Picker => {
  const d = drive(ringHash(replicas === undefined ? {} : { replicas }));
  d.push(info(hosts.map((h) => inst(h))));
  return d.picker;
};

describe("ringHash", () => {
  it("moves only the keys of a removed instance", () => {
    fc.assert(
      fc.property(hostnames(2, 12), fc.nat(), (hosts, which) => {
        const gone = hosts[which % hosts.length]!;
        const before = owners(pickerFor(hosts));
        const after = owners(pickerFor(hosts.filter((h) => h !== gone)));
        // Collected, then asserted once: 10,000 expect calls per run would dominate the test.
        const wrong = before.filter((owner, k) => (owner === gone ? after[k] === gone : after[k] !== owner));
        expect(wrong).toEqual([]);
        expect(before).toContain(gone);
      }),
      { numRuns: 30 },
    );
  });

  it("moves about 1/(N+1) of the keys when one of N+1 is added, all to the new instance", () => {
    fc.assert(
      fc.property(hostnames(2, 12), (all) => {
        const [added, ...hosts] = all as [string, ...string[]];
        const before = owners(pickerFor(hosts));
        const after = owners(pickerFor(all));
        const movedTo = after.filter((owner, k) => owner !== before[k]);
        expect(movedTo.filter((owner) => owner !== added)).toEqual([]);
        const moved = movedTo.length;
        const even = keys.length / all.length;
        expect(moved).toBeGreaterThan(even * 0.7);
        expect(moved).toBeLessThan(even * 1.3);
      }),
      { numRuns: 30 },
    );
  });

  it("spreads 10,000 keys over 10 instances within ±20% of even with the default replicas", () => {
    fc.assert(
      fc.property(hostnames(10, 10), (hosts) => {
        const counts = new Map<string, number>();
        for (const h of owners(pickerFor(hosts))) counts.set(h, (counts.get(h) ?? 0) + 1);
        expect(counts.size).toBe(10);
        for (const c of counts.values()) {
          expect(c).toBeGreaterThanOrEqual(800);
          expect(c).toBeLessThanOrEqual(1200);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("gives, after any sequence of updates, the same ring as a fresh build (incremental merge)", () => {
    fc.assert(
      fc.property(fc.array(hostnames(0, 12), { minLength: 1, maxLength: 6 }), (sets) => {
        const d = drive(ringHash({ replicas: 16 }));
        sets.forEach((hosts, k) => {
          d.push(
            info(
              hosts.map((h) => inst(h)),
              String(k),
            ),
          );
          const fresh = drive(ringHash({ replicas: 16 }));
          fresh.push(info(hosts.map((h) => inst(h))));
          const sample = keys.slice(0, 500);
          const of = (picker: Picker) =>
            sample.map((hashKey) => O.toUndefined(picker.pick({ hashKey }))?.instance.hostname);
          expect(of(d.picker)).toEqual(of(fresh.picker));
        });
      }),
      { numRuns: 200 },
    );
  });

  it("merges churn into the ring: a few joins and leaves give the same ring as a fresh build", () => {
    fc.assert(
      fc.property(hostnames(12, 24), fc.nat(), fc.integer({ min: 1, max: 3 }), (all, seed, churn) => {
        const start = all.slice(churn);
        const next = [...start.filter((_, k) => (k + seed) % 7 !== 0), ...all.slice(0, churn)];
        const d = drive(ringHash({ replicas: 64 }));
        d.push(info(start.map((h) => inst(h))));
        d.push(
          info(
            next.map((h) => inst(h)),
            "2",
          ),
        );
        expect(owners(d.picker)).toEqual(owners(pickerFor(next, 64)));
      }),
      { numRuns: 25 },
    );
  });

  it("maps a key the same way in every client, and across updates in which its owner stays", () => {
    const hosts = ["a", "b", "c", "d"];
    const d = drive(ringHash());
    d.push(info(hosts.map((h) => inst(h))));
    const first = owners(d.picker);
    expect(owners(pickerFor(hosts))).toEqual(first);
    // Only data changes: same ring, same owners.
    d.push(
      info(
        hosts.map((h) => inst(h, { version: "v2" })),
        "2",
      ),
    );
    expect(d.pickers).toHaveLength(2);
    expect(owners(d.picker)).toEqual(first);
  });

  it("sends a key whose instance is not usable where the ring without that instance would, and back when it is", () => {
    fc.assert(
      fc.property(
        hostnames(2, 10),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        (hosts, down) => {
          const unusable = new Set(hosts.filter((_, k) => down[k] === true && k > 0)); // one stays usable
          const usable = (addr: string) => !unusable.has(addr.slice(0, -":9000".length));
          const picker = pickerFor(hosts);
          const walked = keys.map((hashKey) => mustPick(picker, { hashKey, usable }).instance.hostname);
          const without = owners(pickerFor(hosts.filter((h) => !unusable.has(h))));
          expect(walked.filter((owner, k) => owner !== without[k])).toEqual([]);
          expect(owners(picker)).toEqual(owners(pickerFor(hosts))); // usable again: every key is back
        },
      ),
      { numRuns: 25 },
    );
  });

  it("with nothing usable picks nothing, and spreads keyless requests over the usable only", () => {
    const picker = pickerFor(["a", "b", "c"]);
    expect(O.isNone(picker.pick({ hashKey: "k", usable: () => false }))).toBe(true);
    expect(O.isNone(picker.pick({ usable: () => false }))).toBe(true);
    const counts = new Map<string, number>();
    for (let k = 0; k < 30; k++) {
      const h = mustPick(picker, { usable: (addr) => addr !== "b:9000" }).instance.hostname;
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 15, c: 15 });
  });

  it("is round robin without a hashKey", () => {
    const picker = pickerFor(["a", "b", "c"]);
    const counts = countPicks(picker, 30);
    expect(Object.fromEntries(counts)).toEqual({ a: 10, b: 10, c: 10 });
  });

  it("returns none for an empty set, with or without a key", () => {
    const picker = pickerFor([]);
    expect(O.isNone(picker.pick())).toBe(true);
    expect(O.isNone(picker.pick({ hashKey: "k" }))).toBe(true);
  });

  it("rejects a replica count that is not a positive integer", () => {
    expect(() => ringHash({ replicas: 0 })).toThrow(/invalid option: ringHash replicas/);
    expect(() => ringHash({ replicas: 0 })).toThrow(NamingError);
  });
});
