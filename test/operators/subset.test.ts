import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subset, type SubsetAlgorithm } from "../../src/operators/index.js";
import { NamingError } from "../../src/model/index.js";
import { hostsOf, info, inst, once } from "./fixtures.js";

const hostnames = (min: number, max: number) =>
  fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), { minLength: min, maxLength: max });
const algorithms = fc.constantFrom<SubsetAlgorithm>("rendezvous", "balanced");

const subsetOf = (hosts: readonly string[], size: number, clientId: string, algorithm: SubsetAlgorithm) =>
  hostsOf(once(info(hosts.map((h) => inst(h))), subset(size, clientId, { algorithm })));

describe("subset", () => {
  it("gives every client exactly min(size, n) distinct instances of the set", () => {
    fc.assert(
      fc.property(
        hostnames(0, 30),
        fc.integer({ min: 1, max: 40 }),
        fc.string(),
        algorithms,
        (hosts, size, client, algorithm) => {
          const chosen = subsetOf(hosts, size, client, algorithm);
          expect(chosen).toHaveLength(Math.min(size, hosts.length));
          expect(new Set(chosen).size).toBe(chosen.length);
          for (const h of chosen) expect(hosts).toContain(h);
          expect(chosen).toEqual([...chosen].sort());
        },
      ),
    );
  });

  it('"balanced": clients 0..k*n-1 load every instance evenly (within ±1)', () => {
    fc.assert(
      fc.property(
        hostnames(1, 20),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        (hosts, rawSize, k) => {
          const size = Math.min(rawSize, hosts.length);
          const load = new Map(hosts.map((h) => [h, 0]));
          for (let c = 0; c < k * hosts.length; c++) {
            for (const h of subsetOf(hosts, size, String(c), "balanced")) load.set(h, load.get(h)! + 1);
          }
          for (const l of load.values()) expect(Math.abs(l - k * size)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('"rendezvous": a client keeps its subset when an instance outside it changes or leaves', () => {
    fc.assert(
      fc.property(
        hostnames(2, 30),
        fc.integer({ min: 1, max: 10 }),
        fc.string(),
        fc.nat(),
        (hosts, size, client, pick) => {
          const before = subsetOf(hosts, size, client, "rendezvous");
          const outside = hosts.filter((h) => !before.includes(h));
          fc.pre(outside.length > 0);
          const changed = outside[pick % outside.length]!;
          const set = hosts.map((h) => inst(h));
          const updated = info(
            set.map((i) => (i.hostname === changed ? inst(changed, { version: "v2", zone: "z" }) : i)),
          );
          expect(hostsOf(once(updated, subset(size, client)))).toEqual(before);
          expect(
            subsetOf(
              hosts.filter((h) => h !== changed),
              size,
              client,
              "rendezvous",
            ),
          ).toEqual(before);
        },
      ),
    );
  });

  it('"rendezvous": a joining instance replaces at most one member of a full subset', () => {
    fc.assert(
      fc.property(hostnames(3, 30), fc.integer({ min: 1, max: 10 }), fc.string(), (all, size, client) => {
        const [joined, ...hosts] = all as [string, ...string[]];
        const before = subsetOf(hosts, size, client, "rendezvous");
        const after = subsetOf(all, size, client, "rendezvous");
        const entered = after.filter((h) => !before.includes(h));
        if (before.length === size)
          expect(entered.length === 0 || (entered.length === 1 && entered[0] === joined)).toBe(true);
      }),
    );
  });

  it('"rendezvous": spreads clients over instances on average', () => {
    const hosts = Array.from({ length: 10 }, (_, k) => `host-${k}`);
    const load = new Map(hosts.map((h) => [h, 0]));
    for (let c = 0; c < 1_000; c++)
      for (const h of subsetOf(hosts, 3, `client-${c}`, "rendezvous")) load.set(h, load.get(h)! + 1);
    for (const l of load.values()) expect(Math.abs(l - 300)).toBeLessThan(60);
  });

  it('"balanced" keeps a subset when only instance data changes', () => {
    const hosts = Array.from({ length: 9 }, (_, k) => `h${k}`);
    const before = subsetOf(hosts, 3, "4", "balanced");
    const updated = info(hosts.map((h) => inst(h, { version: "v2" })));
    expect(hostsOf(once(updated, subset(3, "4", { algorithm: "balanced" })))).toEqual(before);
  });

  it("passes the set through when it has no more than size instances, and rejects a bad size", () => {
    const set = info([inst("a"), inst("b")]);
    expect(once(set, subset(2, "c"))).toBe(set);
    expect(() => subset(0, "c")).toThrow(NamingError);
    expect(() => subset(0, "c")).toThrow(/invalid option: subset size must be a positive integer, got 0/);
    expect(() => subset(1.5, "c")).toThrow(NamingError);
  });
});
