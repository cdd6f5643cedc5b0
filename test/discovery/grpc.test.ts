import { afterAll, beforeAll, expect, it } from "vitest";
import { discoveryNaming, registerGrpcResolver, type Naming } from "../../src/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { lifecycle } from "../grpc/scenario.js";
import { startDiscovery } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { describeWithDiscovery, ENV, ZONE } from "./support.js";

describeWithDiscovery("gRPC over discoveryNaming (discovery:///app)", () => {
  useHarnessCleanup();
  let naming: Naming;
  beforeAll(async () => {
    const server = await startDiscovery();
    // The scenario wants calls to fail within 1 s of the last instance going: a short hold then.
    naming = discoveryNaming({ nodes: [server.node], zone: ZONE, env: ENV, lingerMs: 0, emptyCheckMs: 300 });
  });
  afterAll(() => naming.close());

  it("registers the naming's scheme, and round robin follows registrations on a real discovery server", async () => {
    const registration = await registerGrpcResolver(naming);
    expect(registration.scheme).toBe("discovery");
    await lifecycle(naming, "discovery", freshApp("grpc"));
  }, 60_000);
});
