// OpenTelemetry metrics from inside the rxnaming policies, against real grpc-js servers.
import * as grpc from "@grpc/grpc-js";
import { metrics } from "@opentelemetry/api";
import { HealthImplementation } from "grpc-health-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { memoryNaming, registerGrpcResolver, type Naming } from "../../src/index.js";
import { waitFor } from "../harness/wait-for.js";
import { testMeterProvider, type Collected } from "../metrics/metric-reader.js";
import { GrpcFleet } from "../harness/grpc-fleet.js";
import { call, spread, type EchoServer } from "./echo.js";

const SERVICE = "rxnaming.test.Echo";
const namings: Naming[] = [];
afterAll(() => Promise.all(namings.map((n) => n.close())));

let fleets: GrpcFleet[] = [];
let servers: EchoServer[] = [];
afterEach(async () => {
  metrics.disable();
  await Promise.all(fleets.map((f) => f.clear()));
  fleets = [];
});

let schemes = 0;
/**
 * A naming registered under a fresh scheme with `metrics`, three echo servers of one app (s1 in
 * zone z1, s2 and s3 in z2; s1 and s2 serve the health service, s3 does not), and a client with
 * `config`.
 */
const fleet = async (metricsOption: Parameters<typeof registerGrpcResolver>[1], config: object) => {
  const naming = memoryNaming({ lingerMs: 0 });
  namings.push(naming);
  const scheme = `metered${++schemes}`;
  await registerGrpcResolver(naming, { ...metricsOption, scheme });
  const health = new Map<string, HealthImplementation>();
  const f = new GrpcFleet(naming, "grpc.metrics");
  fleets.push(f);
  servers = await f.start(["s1", "s2", "s3"], {
    setup: (name, server) => {
      if (name === "s3") return;
      const h = new HealthImplementation({ [SERVICE]: "SERVING" });
      h.addToServer(server);
      health.set(name, h);
    },
    fields: (k) => ({ zone: k === 0 ? "z1" : "z2" }),
  });
  const c = f.client(config, `${scheme}:///${f.appId}`);
  return { c, health };
};

/** The app of every fleet: each test's fleet is the first of its own. */
const app = "grpc.metrics.1";
const total = (m: Collected | undefined, match: Record<string, unknown>): number =>
  (m?.points ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === "number" ? p.value : p.value.count), 0);

describe("metrics of the gRPC policies", () => {
  it("rxnaming_p2c records picks, calls by result and their duration, an ejection and health changes, per app and zone", async () => {
    const { provider, collect } = testMeterProvider();
    const { c, health } = await fleet(
      { metrics: { meterProvider: provider } },
      {
        loadBalancingConfig: [
          {
            rxnaming_p2c: {
              ejection: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectedPercent: 50 },
            },
          },
        ],
        healthCheckConfig: { serviceName: SERVICE },
      },
    );
    await waitFor(async () => (await spread(c, 30, 3)).size === 3, { message: "all three reached" });
    servers[0]!.failWith = grpc.status.UNAVAILABLE;
    await waitFor(
      async () => {
        await spread(c, 10, 2);
        return total((await collect()).get("rxnaming.balancer.ejections"), {}) > 0;
      },
      // p2c sends a failing server few calls once it learns: its second failure may wait for a forced pick.
      { message: "s1 ejected", timeoutMs: 15_000 },
    );
    health.get("s2")!.setStatus(SERVICE, "NOT_SERVING");
    await waitFor(async () => total((await collect()).get("rxnaming.health.changes"), {}) >= 4, {
      message: "s2's NOT_SERVING counted",
    });

    const got = await collect();
    const z1 = { "rxnaming.app": app, "rxnaming.zone": "z1" };
    const z2 = { "rxnaming.app": app, "rxnaming.zone": "z2" };
    const picks = got.get("rxnaming.balancer.picks")!;
    expect(picks.unit).toBe("{pick}");
    expect(picks.points.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([
        { ...z1, "rxnaming.pick.result": "picked" },
        { ...z2, "rxnaming.pick.result": "picked" },
      ]),
    );
    const calls = got.get("rxnaming.balancer.calls")!;
    expect(calls.unit).toBe("{call}");
    // Every call of s1 after it began to fail was an error, until it was ejected.
    expect(total(calls, { ...z1, "rxnaming.call.result": "error" })).toBeGreaterThanOrEqual(2);
    expect(total(calls, { ...z2, "rxnaming.call.result": "ok" })).toBeGreaterThan(0);
    const duration = got.get("rxnaming.balancer.call.duration")!;
    expect(duration.unit).toBe("s");
    expect(duration.type).toBe("HISTOGRAM");
    expect(total(duration, { ...z2, "rxnaming.call.result": "ok" })).toBe(
      total(calls, { ...z2, "rxnaming.call.result": "ok" }),
    );
    expect(got.get("rxnaming.balancer.ejections")).toMatchObject({
      unit: "{ejection}",
      points: [{ attributes: z1, value: 1 }],
    });
    expect(got.get("rxnaming.balancer.ejected")).toMatchObject({
      unit: "{instance}",
      type: "GAUGE",
      points: [{ attributes: z1, value: 1 }],
    });
    const changes = got.get("rxnaming.health.changes")!;
    expect(changes.unit).toBe("{change}");
    expect(changes.points.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([
        { ...z1, "rxnaming.health.state": "SERVING" },
        { ...z2, "rxnaming.health.state": "SERVING" },
        { ...z2, "rxnaming.health.state": "UNIMPLEMENTED" },
        { ...z2, "rxnaming.health.state": "NOT_SERVING" },
      ]),
    );
    expect(total(changes, { ...z2, "rxnaming.health.state": "NOT_SERVING" })).toBe(1);
  }, 30_000);

  it("rxnaming_wrr with metrics: true records through the global provider, with the endpoint asked for", async () => {
    const { provider, collect } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const { c } = await fleet(
      { metrics: { endpoint: true } },
      { loadBalancingConfig: [{ rxnaming_wrr: {} }] },
    );
    await call(c);
    const points = (await collect()).get("rxnaming.balancer.calls")?.points ?? [];
    expect(points).toHaveLength(1);
    const server = servers.find((s) => s.calls === 1)!;
    expect(points[0]!.attributes).toEqual({
      "rxnaming.app": app,
      "rxnaming.zone": server.name === "s1" ? "z1" : "z2",
      "rxnaming.endpoint": `127.0.0.1:${server.port}`,
      "rxnaming.call.result": "ok",
    });
  }, 30_000);

  it("records nothing without the option, even with an SDK registered", async () => {
    const { provider, collect } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const { c } = await fleet({}, { loadBalancingConfig: [{ rxnaming_p2c: {} }] });
    expect((await call(c)).ok).toBe(true);
    expect((await collect()).size).toBe(0);
  }, 30_000);

  it("rejects a metrics option that is not true, false or { meterProvider, endpoint }", async () => {
    const naming = memoryNaming();
    namings.push(naming);
    await expect(registerGrpcResolver(naming, { metrics: { endpont: true } as never })).rejects.toThrow(
      /endpont/,
    );
  });
});
