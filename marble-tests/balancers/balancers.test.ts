import * as O from "fp-ts/lib/Option.js";
import { map, type OperatorFunction } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  p2c,
  random,
  ringHash,
  roundRobin,
  weightedRoundRobin,
  type Picker,
} from "../../src/balancers/index.js";
import type { InstancesInfo } from "../../src/model/index.js";
import { info, inst, scheduler } from "./fixtures.js";

const balancers: [string, () => OperatorFunction<InstancesInfo, Picker>][] = [
  ["roundRobin", () => roundRobin()],
  ["random", () => random()],
  ["weightedRoundRobin", () => weightedRoundRobin()],
  ["p2c", () => p2c()],
  ["ringHash", () => ringHash({ replicas: 16 })],
];

/** What a picker can pick: the sorted hostnames of many picks, or "none". */
const reach = map((picker: Picker) => {
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) {
    const choice = picker.pick({ hashKey: `k${k}` });
    if (O.isNone(choice)) return "none";
    seen.add(choice.value.instance.hostname);
    choice.value.done({ latencyMs: 1 });
  }
  return [...seen].sort().join(",");
});

const a = inst("a");
const b = inst("b");
const bv2 = inst("b", { version: "v2" });

describe.each(balancers)("%s (marbles)", (_, balancer) => {
  it("emits a picker per changed set, none for an equal set, and a none-picker for an empty set", () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a-b-c-d-e-|", {
        a: info([a], "1"),
        b: info([a, b], "2"),
        c: info([a, b], "3"), // equal set, new revision: no new picker
        d: info([a, bv2], "4"),
        e: info([], "5"),
      });
      expectObservable(source.pipe(balancer(), reach)).toBe("a-b---d-e-|", {
        a: "a",
        b: "a,b",
        d: "a,b",
        e: "none",
      });
      expectSubscriptions(source.subscriptions).toBe("^---------!");
    });
  });

  it("unsubscribes from the sets when its consumer does", () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("--a--b--c", { a: info([a]), b: info([a, b]), c: info([b]) });
      expectObservable(source.pipe(balancer(), reach), "^------!").toBe("--a--b-", { a: "a", b: "a,b" });
      expectSubscriptions(source.subscriptions).toBe("^------!");
    });
  });

  it("gives pickers that stay valid after a newer one was emitted (immutable snapshots)", () => {
    const pickers: Picker[] = [];
    scheduler().run(({ cold, flush }) => {
      cold("a-b", { a: info([a, b]), b: info([b]) })
        .pipe(balancer())
        .subscribe((p) => pickers.push(p));
      flush();
    });
    expect(pickers).toHaveLength(2);
    const reachOf = (picker: Picker) =>
      [
        ...new Set(
          Array.from(
            { length: 50 },
            (_, k) => O.toUndefined(picker.pick({ hashKey: `k${k}` }))?.instance.hostname,
          ),
        ),
      ].sort();
    expect(reachOf(pickers[0]!)).toEqual(["a", "b"]);
    expect(reachOf(pickers[1]!)).toEqual(["b"]);
  });
});
