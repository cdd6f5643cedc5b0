// gRFC A17 health checking in the rxnaming policies, against real grpc-js servers that serve
// grpc.health.v1.Health with the grpc-health-check package.
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { memoryNaming, registerGrpcResolver } from "../../src/index.js";
import { waitFor } from "../harness/wait-for.js";
import { GrpcFleet } from "../harness/grpc-fleet.js";
import { call, spread } from "./echo.js";

const SERVICE = "rxnaming.test.Echo";
const naming = memoryNaming({ lingerMs: 0 });
const registered = registerGrpcResolver(naming);
afterAll(() => naming.close());

const echo = new GrpcFleet(naming, "grpc.health");
afterEach(() => echo.clear());

/** s1 and s2 serve the health service (SERVING), s3 does not (UNIMPLEMENTED: healthy). */
const fleet = async (serviceConfig: object) => {
  await registered;
  const health = new Map<string, HealthImplementation>();
  await echo.start(["s1", "s2", "s3"], {
    setup: (name, server) => {
      if (name === "s3") return;
      const h = new HealthImplementation({ [SERVICE]: "SERVING" });
      h.addToServer(server);
      health.set(name, h);
    },
  });
  return { c: echo.client(serviceConfig), health };
};

/** Calls one at a time until `ok` holds for 20 in a row; resolves with when the run began. */
const streak = async (c: grpc.Client, ok: (server: string) => boolean): Promise<number> => {
  let since = performance.now();
  let run = 0;
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const before = performance.now();
    const o = await call(c, { deadlineMs: 2_000 });
    if (o.ok && ok(o.server)) {
      if (run === 0) since = before;
      if (++run >= 20) return since;
    } else run = 0;
  }
  throw new Error("no streak of 20 calls within 10 s");
};

describe.each([
  [
    "healthCheckConfig in the channel's service config",
    { loadBalancingConfig: [{ rxnaming_p2c: {} }], healthCheckConfig: { serviceName: SERVICE } },
  ],
  [
    "healthCheck in the policy's own config (the form a resolver can supply)",
    { loadBalancingConfig: [{ rxnaming_wrr: { healthCheck: { serviceName: SERVICE } } }] },
  ],
])("health checking with %s", (_, config) => {
  it("takes a NOT_SERVING server out within 1 s and back when SERVING; a server without the health service is healthy", async () => {
    const { c, health } = await fleet(config);
    await waitFor(async () => (await spread(c, 30, 3)).size === 3, { message: "all three reached" });

    const out = performance.now();
    health.get("s1")!.setStatus(SERVICE, "NOT_SERVING");
    const gone = await streak(c, (s) => s !== "s1");
    expect(gone - out).toBeLessThan(1_000);
    expect((await spread(c, 60, 3)).has("s1")).toBe(false);

    health.get("s1")!.setStatus(SERVICE, "SERVING");
    await waitFor(async () => (await spread(c, 30, 3)).has("s1"), { message: "s1 back" });
    // s3 never served the health service, and took calls all along.
    expect((await spread(c, 30, 3)).has("s3")).toBe(true);
  }, 30_000);
});

describe("a broken health stream", () => {
  it("is opened again with backoff, and its answer then counts", async () => {
    await registered;
    // s1's health watch fails twice with UNAVAILABLE, then answers NOT_SERVING and stays open.
    const opened: number[] = [];
    const raw = (b: Buffer): Buffer => b;
    const watch: grpc.ServiceDefinition = {
      Watch: {
        path: "/grpc.health.v1.Health/Watch",
        requestStream: false,
        responseStream: true,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    };
    await echo.start(["s1", "s2"], {
      setup: (name, server) => {
        if (name !== "s1") return;
        server.addService(watch, {
          Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
            opened.push(performance.now());
            if (opened.length <= 2) call.emit("error", { code: grpc.status.UNAVAILABLE, details: "not yet" });
            else call.write(Buffer.from([0x08, 0x02])); // NOT_SERVING
          },
        });
      },
    });
    const c = echo.client({
      loadBalancingConfig: [{ rxnaming_p2c: {} }],
      healthCheckConfig: { serviceName: SERVICE },
    });
    await call(c); // the channel connects on its first call
    await waitFor(() => opened.length >= 3, { timeoutMs: 10_000, message: "the third watch" });
    // 1 s, then 2 s between attempts (a little less on a busy timer wheel is not allowed).
    expect(opened[1]! - opened[0]!).toBeGreaterThanOrEqual(990);
    expect(opened[2]! - opened[1]!).toBeGreaterThanOrEqual(1_990);
    await streak(c, (s) => s === "s2");
    expect((await spread(c, 40, 4)).has("s1")).toBe(false);
  }, 30_000);
});
