// OpenTelemetry metrics of namingInterceptor's balancers, against real HTTP servers.
import { metrics } from "@opentelemetry/api";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { memoryNaming, type Naming } from "../../src/index.js";
import { testInstance } from "../../src/testing/index.js";
import { namingInterceptor } from "../../src/undici/index.js";
import { waitFor } from "../harness/wait-for.js";
import { testMeterProvider, type Collected } from "./metric-reader.js";
import { startServer, type NamedServer } from "../undici/servers.js";

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
  metrics.disable();
});

const setUp = async (names: string[], options: Parameters<typeof namingInterceptor>[1]) => {
  const naming = memoryNaming();
  const servers = await Promise.all(names.map(startServer));
  const interceptor = namingInterceptor(naming, options);
  const agent = new Agent().compose(interceptor) as Agent;
  cleanup.push(
    () => Promise.all(servers.map((s) => s.stop())),
    () => naming.close(),
    () => interceptor.close(),
    () => agent.close(),
  );
  return { naming, servers, agent };
};

const register = (naming: Naming, hostname: string, zone: string, addr: string): void => {
  const sub = naming.register(testInstance({ appId: "web.app", hostname, zone, addrs: [addr] })).subscribe();
  cleanup.push(() => sub.unsubscribe());
};

const get = async (agent: Agent, path = "/"): Promise<number> => {
  const res = await fetch(`http://web.app${path}`, { dispatcher: agent });
  await res.text();
  return res.status;
};

const total = (m: Collected | undefined, match: Record<string, unknown>): number =>
  (m?.points ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === "number" ? p.value : p.value.count), 0);

const twoServers = async (options: Parameters<typeof namingInterceptor>[1]) => {
  const { naming, servers, agent } = await setUp(["a", "b"], options);
  const [a, b] = servers as [NamedServer, NamedServer];
  register(naming, "h-a", "z1", a.addr);
  register(naming, "h-b", "z2", b.addr);
  await waitFor(async () => (await get(agent)) === 200 && a.requests > 0 && b.requests > 0, {
    message: "both instances reached",
  });
  return { a, b, agent };
};

describe("namingInterceptor with metrics", () => {
  it("records picks, requests by result and their duration, and an ejection, per app and zone", async () => {
    const { provider, collect } = testMeterProvider();
    const { a, agent } = await twoServers({ balancer: "round_robin", metrics: { meterProvider: provider } });
    a.status = 503;
    // Round robin: every other request reaches a, which fails five in a row and is ejected.
    for (let k = 0; k < 12; k++) await get(agent);

    const got = await collect();
    const z1 = { "rxnaming.app": "web.app", "rxnaming.zone": "z1" };
    const z2 = { "rxnaming.app": "web.app", "rxnaming.zone": "z2" };
    const picks = got.get("rxnaming.balancer.picks")!;
    expect(picks.unit).toBe("{pick}");
    expect(total(picks, { ...z1, "rxnaming.pick.result": "picked" })).toBeGreaterThan(0);
    expect(total(picks, { ...z2, "rxnaming.pick.result": "picked" })).toBeGreaterThan(0);
    const calls = got.get("rxnaming.balancer.calls")!;
    expect(calls.unit).toBe("{call}");
    expect(total(calls, { ...z1, "rxnaming.call.result": "error" })).toBe(5);
    expect(total(calls, { ...z2, "rxnaming.call.result": "ok" })).toBeGreaterThanOrEqual(6);
    const duration = got.get("rxnaming.balancer.call.duration")!;
    expect(duration).toMatchObject({ unit: "s", type: "HISTOGRAM" });
    expect(total(duration, { ...z1, "rxnaming.call.result": "error" })).toBe(5);
    expect(got.get("rxnaming.balancer.ejections")).toMatchObject({
      unit: "{ejection}",
      points: [{ attributes: z1, value: 1 }],
    });
    expect(got.get("rxnaming.balancer.ejected")?.points).toEqual([{ attributes: z1, value: 1 }]);
  });

  it("metrics: true records through the global provider, with the endpoint when asked; none without the option", async () => {
    const { provider, collect } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const off = await twoServers({});
    expect(await get(off.agent)).toBe(200);
    expect((await collect()).size).toBe(0);

    const { a, b, agent } = await twoServers({ metrics: { endpoint: true } });
    const before = a.requests;
    await get(agent);
    const server = a.requests > before ? a : b;
    const points = (await collect()).get("rxnaming.balancer.calls")!.points;
    expect(points.map((p) => p.attributes)).toContainEqual({
      "rxnaming.app": "web.app",
      "rxnaming.zone": server === a ? "z1" : "z2",
      "rxnaming.endpoint": `127.0.0.1:${server.port}`,
      "rxnaming.call.result": "ok",
    });
  });

  it("rejects a metrics option of the wrong shape, naming it", async () => {
    const naming = memoryNaming();
    cleanup.push(() => naming.close());
    expect(() => namingInterceptor(naming, { metrics: "yes" as never })).toThrow(
      /metrics options must be an object/,
    );
    expect(() => namingInterceptor(naming, { metrics: { endpont: true } as never })).toThrow(/endpont/);
  });
});
