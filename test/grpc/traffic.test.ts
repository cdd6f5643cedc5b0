import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { memoryNaming, registerGrpcResolver } from "../../src/index.js";
import { GrpcFleet } from "../harness/grpc-fleet.js";
import { waitFor } from "../harness/wait-for.js";
import { call, outlierDetection, spread, type EchoServer } from "./echo.js";

const naming = memoryNaming({ lingerMs: 0 });
const registered = registerGrpcResolver(naming);
afterAll(() => naming.close());

const echo = new GrpcFleet(naming, "grpc.traffic");
afterEach(() => echo.clear());
let servers: readonly EchoServer[] = [];

/** `names.length` fresh echo servers under a fresh app, and a client of it with `config`. */
const fleet = async (names: readonly string[], config: object) => {
  await registered;
  servers = await echo.start(names);
  return echo.client(config);
};

describe("rxnaming_p2c", () => {
  it("splits 200 sequential calls to two fresh, identical servers within 40-60% (median of three fleets)", async () => {
    // Each fleet's latencies move with whatever else the machine runs (CI runs test files side by
    // side on two cores): the median of three fresh fleets says what p2c does, not what one
    // unlucky second did to one of them.
    const shares: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const c = await fleet(["s1", "s2"], { loadBalancingConfig: [{ rxnaming_p2c: {} }] });
      // Both connected before the first counted call: a channel's first call waits for one READY.
      await waitFor(() => c.getChannel().getConnectivityState(true) === grpc.connectivityState.READY, {
        message: "READY",
      });
      await waitFor(() => servers.every((s) => s.calls === 0), { message: "nothing sent yet" });
      const counts = await spread(c, 200);
      shares.push((counts.get("s1") ?? 0) / 200);
      await echo.clear();
    }
    const median = [...shares].sort((a, b) => a - b)[1]!;
    expect(median, `shares of s1: ${shares.join(", ")}`).toBeGreaterThanOrEqual(0.4);
    expect(median, `shares of s1: ${shares.join(", ")}`).toBeLessThanOrEqual(0.6);
  }, 60_000);

  it("counts a call failing with UNAVAILABLE against its server more than one that ran out of time", async () => {
    // Ejection off: this is p2c's own learning. s1 refuses every call; s2 is too slow for the
    // callers' deadline. Neither is good; the slow one is the better choice.
    const c = await fleet(["s1", "s2"], { loadBalancingConfig: [{ rxnaming_p2c: { ejection: false } }] });
    servers[0]!.failWith = grpc.status.UNAVAILABLE;
    servers[1]!.delayMs = 60;
    const run = async (n: number) => {
      const counts = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let k = 0; k < n / 4; k++) {
            const o = await call(c, { deadlineMs: 30 });
            const key = o.ok ? o.server : `!${o.code}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
        }),
      );
      return counts;
    };
    await run(80); // learn
    const counts = await run(200);
    const refused = counts.get(`!${grpc.status.UNAVAILABLE}`) ?? 0;
    const late = counts.get(`!${grpc.status.DEADLINE_EXCEEDED}`) ?? 0;
    expect(late, `calls by outcome: ${JSON.stringify(Object.fromEntries(counts))}`).toBeGreaterThan(
      4 * refused,
    );
  }, 30_000);
});

describe.each([
  ["rxnaming_p2c", { rxnaming_p2c: {} }],
  ["rxnaming_p2c without its own ejection", { rxnaming_p2c: { ejection: false } }],
  ["rxnaming_wrr", { rxnaming_wrr: {} }],
])("%s as the child of outlier_detection", (_, child) => {
  it("10 servers, 1 failing every call: after one interval it gets under 1% of the calls, and the client's error rate is under 0.5%", async () => {
    const names = Array.from({ length: 10 }, (__, k) => `s${k}`);
    const c = await fleet(names, outlierDetection(child));
    servers[3]!.failWith = grpc.status.UNAVAILABLE;
    await waitFor(async () => (await spread(c, 20, 10)).size >= 9, { message: "servers reached" });
    const start = servers[3]!.calls;
    let total = 0;
    let failed = 0;
    const tally = (counts: Map<string, number>) => {
      for (const [k, n] of counts) {
        total += n;
        if (k.startsWith("!")) failed += n;
      }
    };
    // One detection interval (1 s) and a little more, with calls going on.
    const until = performance.now() + 1_200;
    while (performance.now() < until) tally(await spread(c, 100, 10));
    const before = servers[3]!.calls;
    const after = await spread(c, 2_000, 10);
    tally(after);
    const share = (servers[3]!.calls - before) / 2_000;
    const seen =
      `${JSON.stringify(child)} under outlier_detection: failing server ${servers[3]!.calls - start} calls, ` +
      `${(share * 100).toFixed(2)}% after one interval; client errors ${failed}/${total}`;
    expect(share, seen).toBeLessThan(0.01);
    expect(failed / total, seen).toBeLessThan(0.005);
  }, 60_000);
});
