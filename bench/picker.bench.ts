/**
 * Balancer hot paths: picks per second for each balancer at 10, 100 and 1,000 instances, the cost
 * of a list update with 1,000 instances, and ring-hash lookups against the `hashring` package.
 *
 * Run: npx vitest bench --run bench/picker.bench.ts
 *
 * Each pick benchmark does 1,000 picks per iteration (so the harness's own overhead, ~100 ns per
 * iteration, does not hide the pick): picks/s = hz x 1,000.
 */
import { createRequire } from "node:module";
import * as O from "fp-ts/lib/Option.js";
import { Subject, of, type OperatorFunction } from "rxjs";
import { bench, describe } from "vitest";
import {
  p2c,
  random,
  ringHash,
  roundRobin,
  weightedRoundRobin,
  type Picker,
} from "../src/balancers/index.js";
import { instance, instancesInfo, type Instance, type InstancesInfo } from "../src/model/index.js";

const PICKS = 1_000;
const SIZES = [10, 100, 1_000] as const;

const host = (k: number, version = ""): Instance => {
  const result = instance({
    appId: "bench",
    hostname: `host-${k}`,
    addrs: [`grpc://10.0.${k >> 8}.${k & 255}:9000`],
    metadata: { weight: String(1 + (k % 10)) },
    version,
    lastTs: 1,
  });
  if (result._tag === "Left") throw result.left;
  return result.right;
};
const setOf = (hosts: readonly Instance[], revision = "1"): InstancesInfo =>
  instancesInfo("bench", hosts, revision);
const hostsUpTo = (n: number): Instance[] => Array.from({ length: n }, (_, k) => host(k));

const pickerOf = (operator: OperatorFunction<InstancesInfo, Picker>, set: InstancesInfo): Picker => {
  let picker: Picker | undefined;
  of(set)
    .pipe(operator)
    .subscribe((p) => (picker = p));
  return picker!;
};

const balancers: [string, () => OperatorFunction<InstancesInfo, Picker>][] = [
  ["roundRobin", () => roundRobin()],
  ["random", () => random()],
  ["weightedRoundRobin", () => weightedRoundRobin()],
  ["p2c (pick + done)", () => p2c()],
  ["ringHash (with hashKey)", () => ringHash()],
];

// Distinct keys, more than hashring's default LRU cache (5,000) holds, so neither side measures a cache.
const KEYS = Array.from({ length: 100_000 }, (_, k) => `user-${k * 7919}`);
const REQUESTS = KEYS.map((hashKey) => ({ hashKey }));
let sink = 0;

for (const n of SIZES) {
  describe(`picks, ${n} instances (${PICKS} picks per op)`, () => {
    const set = setOf(hostsUpTo(n));
    for (const [name, make] of balancers) {
      const picker = pickerOf(make(), set);
      let r = 0;
      if (name.startsWith("p2c")) {
        bench(name, () => {
          for (let k = 0; k < PICKS; k++) {
            const choice = picker.pick();
            if (O.isSome(choice)) choice.value.done({ latencyMs: 1 + (k & 7) });
          }
        });
      } else if (name.startsWith("ringHash")) {
        bench(name, () => {
          for (let k = 0; k < PICKS; k++) {
            const choice = picker.pick(REQUESTS[r]);
            if (++r === REQUESTS.length) r = 0;
            if (O.isSome(choice)) sink ^= choice.value.addr.length;
          }
        });
      } else {
        bench(name, () => {
          for (let k = 0; k < PICKS; k++) {
            const choice = picker.pick();
            if (O.isSome(choice)) sink ^= choice.value.addr.length;
          }
        });
      }
    }
  });
}

describe("list update, 1,000 instances (one leaves, another joins; one op = one update)", () => {
  const base = hostsUpTo(1_000);
  const a = setOf(base, "1");
  const b = setOf([...base.slice(0, 999), host(1_000)], "2");
  for (const [name, make] of balancers) {
    const sets = new Subject<InstancesInfo>();
    sets.pipe(make()).subscribe((p) => (sink ^= p === undefined ? 1 : 0));
    sets.next(a);
    let flip = false;
    bench(name, () => {
      flip = !flip;
      sets.next(flip ? b : a);
    });
  }
});

describe("list update, 1,000 instances (one instance's data changes)", () => {
  const base = hostsUpTo(1_000);
  const a = setOf(base, "1");
  const b = setOf([host(0, "v2"), ...base.slice(1)], "2");
  for (const [name, make] of balancers) {
    const sets = new Subject<InstancesInfo>();
    sets.pipe(make()).subscribe((p) => (sink ^= p === undefined ? 1 : 0));
    sets.next(a);
    let flip = false;
    bench(name, () => {
      flip = !flip;
      sets.next(flip ? b : a);
    });
  }
});

describe("ringHash first build, 1,000 instances x 1,024 replicas (one op = one ring)", () => {
  const set = setOf(hostsUpTo(1_000));
  bench("ringHash", () => {
    sink ^= pickerOf(ringHash(), set) === undefined ? 1 : 0;
  });
});

/** `hashring` (3rd-Eden), loaded lazily so that this file type-checks and runs without it. */
interface HashRingLike {
  get(key: string): string;
}
type HashRingCtor = new (
  servers: string[],
  algorithm?: string,
  options?: Record<string, number>,
) => HashRingLike;
const loadHashRing = (): HashRingCtor | undefined => {
  try {
    return createRequire(import.meta.url)("hashring") as HashRingCtor;
  } catch {
    return undefined;
  }
};
const HashRing = loadHashRing();

for (const n of SIZES) {
  describe(`ring-hash lookup vs hashring, ${n} instances (${PICKS} lookups per op)`, () => {
    const set = setOf(hostsUpTo(n));
    const picker = pickerOf(ringHash(), set);
    let r = 0;
    bench("rxnaming ringHash (1,024 replicas)", () => {
      for (let k = 0; k < PICKS; k++) {
        const choice = picker.pick(REQUESTS[r]);
        if (++r === REQUESTS.length) r = 0;
        if (O.isSome(choice)) sink ^= choice.value.addr.length;
      }
    });
    const picker160 = pickerOf(ringHash({ replicas: 160 }), set);
    let r160 = 0;
    bench("rxnaming ringHash (160 replicas, as hashring)", () => {
      for (let k = 0; k < PICKS; k++) {
        const choice = picker160.pick(REQUESTS[r160]);
        if (++r160 === REQUESTS.length) r160 = 0;
        if (O.isSome(choice)) sink ^= choice.value.addr.length;
      }
    });
    if (HashRing === undefined) {
      bench.skip("hashring (not installed: npm i -D hashring)", () => {});
    } else {
      // hashring's defaults: md5, 40 vnodes x 4 points per server, an LRU of 5,000 lookups.
      const ring = new HashRing(set.instances.map((i) => i.addrs[0]!));
      let h = 0;
      bench("hashring", () => {
        for (let k = 0; k < PICKS; k++) {
          sink ^= ring.get(KEYS[h]!).length;
          if (++h === KEYS.length) h = 0;
        }
      });
    }
  });
}

// Keeps the results observable so that the JIT cannot drop the loops.
process.on("exit", () => {
  if (sink === 0.5) console.log(sink);
});
