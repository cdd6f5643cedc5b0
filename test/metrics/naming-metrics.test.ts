import { metrics } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { instrumentNaming, memoryNaming } from "../../src/index.js";
import { MemoryLink, MemoryStore } from "../../src/testing/index.js";
import { inst, testScheduler } from "../fixtures.js";
import { testMeterProvider } from "./metric-reader.js";

const demo = { "rxnaming.app": "demo", "rxnaming.scheme": "memory" };

describe("instrumentNaming", () => {
  afterEach(() => metrics.disable());

  it("counts resolver updates and reports each watched app's instances", async () => {
    const { provider, collect } = testMeterProvider();
    const scheduler = testScheduler();
    const store = new MemoryStore({ scheduler });
    const naming = memoryNaming({ store, lingerMs: 0 });
    const handle = instrumentNaming(naming, { meterProvider: provider });
    expect(handle.recording).toBe(true);
    scheduler.run(({ cold }) => {
      naming.build("demo").instances$.subscribe();
      // The first set (empty), then a, then a and b: three updates.
      cold("1s x 1s y").subscribe((v) => naming.register(inst(v === "x" ? "a" : "b")).subscribe());
    });
    const got = await collect();
    expect(got.get("rxnaming.resolver.updates")).toEqual({
      name: "rxnaming.resolver.updates",
      unit: "{update}",
      description:
        "Sets of instances an app's shared watch emitted (one per backend change that changed the set).",
      type: "SUM",
      points: [{ attributes: demo, value: 3 }],
    });
    expect(got.get("rxnaming.resolver.instances")).toEqual({
      name: "rxnaming.resolver.instances",
      unit: "{instance}",
      description: "Instances in the latest set of each app watched now.",
      type: "GAUGE",
      points: [{ attributes: demo, value: 2 }],
    });
    handle.stop();
    await naming.close();
  });

  it("counts registrations lost and made again, and the watch made again after the backend came back", async () => {
    const { provider, collect } = testMeterProvider();
    const scheduler = testScheduler();
    const store = new MemoryStore({ scheduler });
    const link = new MemoryLink();
    const naming = memoryNaming({ store, link, ttlSeconds: 3, lingerMs: 0 });
    instrumentNaming(naming, { meterProvider: provider });
    scheduler.run(({ cold }) => {
      naming.register(inst("a")).subscribe();
      naming.build("demo").instances$.subscribe();
      // Cut at 1s: the lease expires at 4s; restored at 6s: lost, then registered again.
      cold("1s x 5s y").subscribe((v) => (v === "x" ? link.cut() : link.restore()));
      cold("12s x").subscribe();
    });
    const got = await collect();
    expect(got.get("rxnaming.registration.lost")).toEqual({
      name: "rxnaming.registration.lost",
      unit: "{registration}",
      description: "Registrations whose lease the backend let go.",
      type: "SUM",
      points: [{ attributes: demo, value: 1 }],
    });
    expect(got.get("rxnaming.registration.remade")).toEqual({
      name: "rxnaming.registration.remade",
      unit: "{registration}",
      description: "Registrations written again under a new lease after a loss.",
      type: "SUM",
      points: [{ attributes: demo, value: 1 }],
    });
    const reconnects = got.get("rxnaming.watch.reconnects");
    expect(reconnects).toMatchObject({
      unit: "{reconnect}",
      description:
        "Watches made again after they broke: the backend's shared watch stream, or an app's watch retried.",
      type: "SUM",
      points: [{ attributes: { "rxnaming.scheme": "memory" } }],
    });
    expect(reconnects!.points[0]!.value).toBeGreaterThanOrEqual(1);
    await naming.close();
  });

  it("records nothing, at no cost, when no provider is given and no SDK is registered", () => {
    const naming = memoryNaming();
    expect(instrumentNaming(naming).recording).toBe(false);
    void naming.close();
  });

  it("takes the global provider when one is registered, and stops on stop()", async () => {
    const { provider, collect } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const scheduler = testScheduler();
    const naming = memoryNaming({ store: new MemoryStore({ scheduler }), lingerMs: 0 });
    const handle = instrumentNaming(naming);
    expect(handle.recording).toBe(true);
    scheduler.run(({ cold }) => {
      naming.build("demo").instances$.subscribe();
      cold("1s x").subscribe(() => {
        handle.stop();
        naming.register(inst("a")).subscribe();
      });
    });
    const got = await collect();
    // The first (empty) set only: the update after stop() is not counted, and the gauge is gone.
    expect(got.get("rxnaming.resolver.updates")?.points).toEqual([{ attributes: demo, value: 1 }]);
    expect(got.get("rxnaming.resolver.instances")?.points ?? []).toEqual([]);
    await naming.close();
  });

  it("refuses what is not a naming of rxnaming with an InvalidOption error", () => {
    expect(() => instrumentNaming({ scheme: "etcd" })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption", message: expect.stringContaining("naming") }),
    );
  });
});
