import { metrics } from "@opentelemetry/api";
import * as O from "fp-ts/lib/Option.js";
import { map, of, type OperatorFunction } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { meterPicks, p2c, roundRobin, type Pick as Picked, type Picker } from "../../src/index.js";
import type { InstancesInfo } from "../../src/model/index.js";
import { info, inst } from "../fixtures.js";
import { testMeterProvider } from "./metric-reader.js";

const pickerOf = (set: InstancesInfo, operators: OperatorFunction<InstancesInfo, Picker>): Picker => {
  let picker: Picker | undefined;
  of(set)
    .pipe(operators)
    .subscribe((p) => (picker = p));
  return picker!;
};

const pickOne = (picker: Picker) => {
  const choice = picker.pick();
  if (O.isNone(choice)) throw new Error("no pick");
  return choice.value;
};

describe("meterPicks", () => {
  afterEach(() => metrics.disable());

  it("counts picks and each call's result and duration per app, and tells the balancer's own pick", async () => {
    const { provider, collect } = testMeterProvider();
    const a = inst("a");
    let learned = 0;
    // A balancer whose picks count the done() calls they are told: the wrapper must pass each on.
    const spy = map((p: Picker): Picker => ({
      pick: () => O.map((c: Picked): Picked => ({ ...c, done: () => void learned++ }))(p.pick()),
    }));
    const picker = pickerOf(info([a]), (s) =>
      s.pipe(roundRobin(), spy, meterPicks({ meterProvider: provider })),
    );
    pickOne(picker).done({ latencyMs: 5 });
    pickOne(picker).done({ latencyMs: 15, error: new Error("boom") });
    pickOne(picker).done({ notSent: true });
    const open = pickOne(picker); // not ended yet: a pick, no call
    expect(learned).toBe(3);
    expect(open.instance).toBe(a);
    expect(open.addr).toBe("a:9000");

    const got = await collect();
    expect(got.get("rxnaming.balancer.picks")).toEqual({
      name: "rxnaming.balancer.picks",
      unit: "{pick}",
      description: "Picks made by a balancer, by result: an instance picked, or none to pick.",
      type: "SUM",
      points: [{ attributes: { "rxnaming.app": "demo", "rxnaming.pick.result": "picked" }, value: 4 }],
    });
    expect(got.get("rxnaming.balancer.calls")).toEqual({
      name: "rxnaming.balancer.calls",
      unit: "{call}",
      description: "Picked calls that ended (reported to the pick's done), by result.",
      type: "SUM",
      points: [
        { attributes: { "rxnaming.app": "demo", "rxnaming.call.result": "ok" }, value: 1 },
        { attributes: { "rxnaming.app": "demo", "rxnaming.call.result": "error" }, value: 1 },
        { attributes: { "rxnaming.app": "demo", "rxnaming.call.result": "not_sent" }, value: 1 },
      ],
    });
    expect(got.get("rxnaming.balancer.call.duration")).toEqual({
      name: "rxnaming.balancer.call.duration",
      unit: "s",
      description:
        "Duration of picked calls as reported to the balancer (done's latencyMs, else measured from the pick).",
      type: "HISTOGRAM",
      points: [
        {
          attributes: { "rxnaming.app": "demo", "rxnaming.call.result": "ok" },
          value: { count: 1, sum: 0.005 },
        },
        {
          attributes: { "rxnaming.app": "demo", "rxnaming.call.result": "error" },
          value: { count: 1, sum: 0.015 },
        },
      ],
    });
  });

  it("adds the endpoint only when asked, counts picks of an empty set as none, and measures a call done() without latency", async () => {
    const { provider, collect } = testMeterProvider();
    let clock = 100;
    const operator = meterPicks({ meterProvider: provider, endpoint: true, app: "demo", now: () => clock });
    const picker = pickerOf(info([inst("a"), inst("b")]), (s) => s.pipe(p2c(), operator));
    const first = pickOne(picker);
    clock = 130;
    first.done();
    const empty = pickerOf(info([]), (s) => s.pipe(p2c(), operator));
    expect(O.isNone(empty.pick())).toBe(true);

    const got = await collect();
    const endpoint = `${first.instance.hostname}:9000`;
    expect(got.get("rxnaming.balancer.picks")?.points).toEqual([
      {
        attributes: {
          "rxnaming.app": "demo",
          "rxnaming.endpoint": endpoint,
          "rxnaming.pick.result": "picked",
        },
        value: 1,
      },
      { attributes: { "rxnaming.app": "demo", "rxnaming.pick.result": "none" }, value: 1 },
    ]);
    expect(got.get("rxnaming.balancer.call.duration")?.points).toEqual([
      {
        attributes: { "rxnaming.app": "demo", "rxnaming.endpoint": endpoint, "rxnaming.call.result": "ok" },
        value: { count: 1, sum: 0.03 },
      },
    ]);
  });

  it("passes the pickers through untouched when no provider is given and no SDK is registered", () => {
    const plain = p2c();
    const picker = pickerOf(info([inst("a")]), (s) => s.pipe(plain, meterPicks()));
    // p2c's own pick (its own Option) comes out: nothing wrapped it.
    expect(picker.pick().constructor.name).toBe("P2cPick");
  });

  it("records through the global provider once an SDK registered it", async () => {
    const { provider, collect } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const picker = pickerOf(info([inst("a")]), (s) => s.pipe(roundRobin(), meterPicks()));
    pickOne(picker).done();
    const got = await collect();
    expect(got.get("rxnaming.balancer.picks")?.points).toEqual([
      { attributes: { "rxnaming.app": "demo", "rxnaming.pick.result": "picked" }, value: 1 },
    ]);
  });
});
