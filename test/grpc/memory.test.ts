import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryNaming, registerGrpcResolver, type GrpcResolverRegistration } from "../../src/index.js";
import { lifecycle } from "./scenario.js";

const naming = memoryNaming({ lingerMs: 0 });
let registration: GrpcResolverRegistration;

beforeAll(async () => {
  registration = await registerGrpcResolver(naming);
});
afterAll(() => naming.close());

describe("gRPC over memoryNaming (memory:///app)", () => {
  it("registers the naming's scheme", () => {
    expect(registration.scheme).toBe("memory");
  });

  it("round robin follows registrations: all three, one leaves, a fourth joins, none, one again", async () => {
    await lifecycle(naming, "memory", "grpc.lifecycle");
  }, 30_000);
});
