import fc from "fast-check";
import * as O from "fp-ts/lib/Option.js";
import { describe, expect, it } from "vitest";
import { random, roundRobin } from "../../src/balancers/index.js";
import { countPicks, drive, info, inst, mustPick, seeded } from "./fixtures.js";

const hostnames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), {
  minLength: 1,
  maxLength: 40,
});

describe("roundRobin", () => {
  it("gives every instance exactly its share over any whole number of cycles", () => {
    fc.assert(
      fc.property(
        hostnames,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 100 }),
        (hosts, cycles, skip) => {
          const d = drive(roundRobin());
          d.push(info(hosts.map((h) => inst(h))));
          // Start anywhere in the round: shares are exact from any position.
          for (let k = 0; k < skip; k++) mustPick(d.picker);
          const counts = countPicks(d.picker, hosts.length * cycles);
          expect(counts.size).toBe(hosts.length);
          for (const h of hosts) expect(counts.get(h)).toBe(cycles);
        },
      ),
    );
  });

  it("keeps exact shares across an update that changes the set", () => {
    fc.assert(
      fc.property(hostnames, hostnames, (before, after) => {
        const d = drive(roundRobin());
        d.push(info(before.map((h) => inst(h))));
        mustPick(d.picker);
        d.push(info(after.map((h) => inst(h))));
        const counts = countPicks(d.picker, after.length * 2);
        for (const h of after) expect(counts.get(h)).toBe(2);
      }),
    );
  });

  it("returns none for an empty set", () => {
    const d = drive(roundRobin());
    d.push(info([]));
    expect(O.isNone(d.picker.pick())).toBe(true);
  });

  it("carries the first addr of the chosen scheme as host:port, else the first addr", () => {
    const d = drive(roundRobin({ addrScheme: "http" }));
    d.push(
      info([
        inst("a", { addrs: ["grpc://10.0.0.1:9000", "http://10.0.0.1:8000/api"] }),
        inst("b", { addrs: ["grpc://10.0.0.2:9000"] }),
      ]),
    );
    const addrs = new Map([0, 1].map(() => mustPick(d.picker)).map((p) => [p.instance.hostname, p.addr]));
    expect(addrs).toEqual(
      new Map([
        ["a", "10.0.0.1:8000"],
        ["b", "10.0.0.2:9000"],
      ]),
    );
  });

  it("allocates nothing per pick: the same Option comes back for the same instance", () => {
    const d = drive(roundRobin());
    d.push(info([inst("a")]));
    expect(d.picker.pick()).toBe(d.picker.pick());
  });
});

describe("random", () => {
  it("spreads picks about evenly", () => {
    const d = drive(random({ random: seeded(7) }));
    d.push(info(["a", "b", "c", "d"].map((h) => inst(h))));
    const counts = countPicks(d.picker, 40_000);
    for (const h of ["a", "b", "c", "d"]) {
      expect(counts.get(h)).toBeGreaterThan(9_000);
      expect(counts.get(h)).toBeLessThan(11_000);
    }
  });

  it("returns none for an empty set", () => {
    const d = drive(random());
    d.push(info([]));
    expect(d.picker.pick()).toEqual(O.none);
  });
});
