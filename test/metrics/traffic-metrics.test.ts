import { metrics } from "@opentelemetry/api";
import * as O from "fp-ts/lib/Option.js";
import { of, Subject, VirtualTimeScheduler, type MonoTypeOperatorFunction } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import * as rx from "../../src/index.js";
import { meterPicks, roundRobin, trafficMetrics, type Picker } from "../../src/index.js";
import type { InstancesInfo } from "../../src/model/index.js";
import { info, inst } from "../fixtures.js";
import { testMeterProvider } from "./metric-reader.js";

const a = inst("a", { zone: "sh001" });
const b = inst("b", { zone: "sh002" });
const c = inst("c", { zone: "sh002" });

/** A round robin over `set` with ejection after two failures, its events told to `onEvent`. */
const ejecting = (
  set: InstancesInfo,
  onEvent: (e: rx.EjectionEvent) => void,
  picks: MonoTypeOperatorFunction<Picker>,
  scheduler = new VirtualTimeScheduler(),
) => {
  let picker: Picker | undefined;
  const sets = new Subject<InstancesInfo>();
  const subscription = sets
    .pipe(
      roundRobin({
        scheduler,
        ejection: { consecutiveFailures: 2, baseEjectionMs: 1_000, maxEjectedPercent: 70, onEvent },
      }),
      picks,
    )
    .subscribe((p) => (picker = p));
  sets.next(set);
  /** Fails every pick of `hostname` until it is ejected (the picker stops picking it). */
  const failUntilEjected = (hostname: string): void => {
    for (let k = 0; k < 20; k++) {
      const choice = picker!.pick();
      if (O.isNone(choice)) throw new Error("no pick");
      if (choice.value.instance.hostname === hostname) choice.value.done({ error: new Error("boom") });
      else choice.value.done({ latencyMs: 1 });
    }
  };
  return { picker: () => picker!, failUntilEjected, scheduler, subscription };
};

describe("trafficMetrics", () => {
  afterEach(() => metrics.disable());

  it("counts ejections per app and zone, and the instances ejected now until they return", async () => {
    const { provider, collect } = testMeterProvider();
    const traffic = trafficMetrics({ meterProvider: provider });
    expect(traffic.recording).toBe(true);
    const run = ejecting(info([a, b, c]), traffic.onEvent, traffic.picks);
    run.failUntilEjected("a");
    run.failUntilEjected("b");

    let got = await collect();
    expect(got.get("rxnaming.balancer.ejections")).toEqual({
      name: "rxnaming.balancer.ejections",
      unit: "{ejection}",
      description: "Instances a balancer's passive ejection left out.",
      type: "SUM",
      points: [
        { attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh001" }, value: 1 },
        { attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh002" }, value: 1 },
      ],
    });
    expect(got.get("rxnaming.balancer.ejected")).toEqual({
      name: "rxnaming.balancer.ejected",
      unit: "{instance}",
      description: "Instances a balancer's passive ejection leaves out now.",
      type: "GAUGE",
      points: [
        { attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh001" }, value: 1 },
        { attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh002" }, value: 1 },
      ],
    });
    // The picks carry the zone too.
    expect(got.get("rxnaming.balancer.picks")?.points).toContainEqual({
      attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh002", "rxnaming.pick.result": "picked" },
      value: expect.any(Number) as number,
    });
    expect(got.get("rxnaming.balancer.calls")?.points).toContainEqual({
      attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh001", "rxnaming.call.result": "error" },
      value: 2,
    });

    // Their ejections end: both return, and the gauge reads 0.
    run.scheduler.flush();
    got = await collect();
    expect(got.get("rxnaming.balancer.ejected")?.points.map((p) => p.value)).toEqual([0, 0]);
    expect(got.get("rxnaming.balancer.ejections")?.points.map((p) => p.value)).toEqual([1, 1]);
    run.subscription.unsubscribe();
  });

  it("adds the endpoint when asked, and stops counting an ejection whose balancer ended once its time is over", async () => {
    const { provider, collect } = testMeterProvider();
    let clock = 0;
    const traffic = trafficMetrics({ meterProvider: provider, endpoint: true, now: () => clock });
    const run = ejecting(info([a, b]), traffic.onEvent, traffic.picks);
    run.failUntilEjected("a");
    run.subscription.unsubscribe(); // no "returned" will ever come
    const point = {
      attributes: { "rxnaming.app": "demo", "rxnaming.zone": "sh001", "rxnaming.endpoint": "a:9000" },
      value: 1,
    };
    let got = await collect();
    expect(got.get("rxnaming.balancer.ejections")?.points).toEqual([point]);
    expect(got.get("rxnaming.balancer.ejected")?.points).toEqual([point]);
    clock = 1_000; // the ejection's 1 s is over
    got = await collect();
    expect(got.get("rxnaming.balancer.ejected")?.points).toEqual([{ ...point, value: 0 }]);
  });

  it("counts health states per app, zone and state", async () => {
    const { provider, collect } = testMeterProvider();
    const traffic = trafficMetrics({ meterProvider: provider });
    traffic.health(a, "a:9000", "SERVING");
    traffic.health(a, "a:9000", "NOT_SERVING");
    traffic.health(b, "b:9000", "NOT_SERVING");
    const got = await collect();
    expect(got.get("rxnaming.health.changes")).toEqual({
      name: "rxnaming.health.changes",
      unit: "{change}",
      description: "Health states learned from an endpoint's health watch: its first, then each change.",
      type: "SUM",
      points: [
        {
          attributes: {
            "rxnaming.app": "demo",
            "rxnaming.zone": "sh001",
            "rxnaming.health.state": "SERVING",
          },
          value: 1,
        },
        {
          attributes: {
            "rxnaming.app": "demo",
            "rxnaming.zone": "sh001",
            "rxnaming.health.state": "NOT_SERVING",
          },
          value: 1,
        },
        {
          attributes: {
            "rxnaming.app": "demo",
            "rxnaming.zone": "sh002",
            "rxnaming.health.state": "NOT_SERVING",
          },
          value: 1,
        },
      ],
    });
  });

  it("does nothing and costs nothing when no provider is given and no SDK is registered", () => {
    const traffic = trafficMetrics();
    expect(traffic.recording).toBe(false);
    let picker: Picker | undefined;
    of(info([a]))
      .pipe(rx.p2c({ ejection: { onEvent: traffic.onEvent } }), traffic.picks)
      .subscribe((p) => (picker = p));
    expect(picker!.pick().constructor.name).toBe("P2cPick");
  });

  it("meterPicks puts the zone on picks and calls", async () => {
    const { provider, collect } = testMeterProvider();
    let picker: Picker | undefined;
    of(info([a]))
      .pipe(roundRobin(), meterPicks({ meterProvider: provider }))
      .subscribe((p) => (picker = p));
    const choice = picker!.pick();
    if (O.isSome(choice)) choice.value.done({ latencyMs: 2 });
    const got = await collect();
    const zoned = { "rxnaming.app": "demo", "rxnaming.zone": "sh001" };
    expect(got.get("rxnaming.balancer.picks")?.points).toEqual([
      { attributes: { ...zoned, "rxnaming.pick.result": "picked" }, value: 1 },
    ]);
    expect(got.get("rxnaming.balancer.call.duration")?.points).toEqual([
      { attributes: { ...zoned, "rxnaming.call.result": "ok" }, value: { count: 1, sum: 0.002 } },
    ]);
  });
});
