import { beforeAll } from "vitest";
import { namingContract } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { describeWithDiscovery, discoveryFixture, DiscoveryWorld } from "./support.js";

describeWithDiscovery("discovery", () => {
  useHarnessCleanup();
  let server: DiscoveryProcess;
  beforeAll(async () => {
    server = await startDiscovery();
  });
  // No leases: a registration lives while renewed; "within 1 s of unsubscribing" holds because the
  // naming's polls are held 500 ms while an app is down to one instance (the server does not wake
  // polls when an app's last instance goes).
  namingContract(
    "discovery (no leases: renewed registrations; undecodable values are instances the server holds)",
    async () => new DiscoveryWorld(() => [server.node]),
    discoveryFixture,
    { takeover: "merged" },
  );
});
