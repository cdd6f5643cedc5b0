import { describe, expect, it } from "vitest";
import * as root from "../../src/index.js";
import * as testing from "../../src/testing/index.js";

// The root is what an application uses (docs/architecture.md#the-public-surface); the store and
// the helpers of tests are in rxnaming/testing; records, layouts and the core stay inside.
describe("the public surface", () => {
  it("the root exports the namings, instance, the error type, operators and balancers, and nothing of the insides", () => {
    const names = Object.keys(root);
    for (const name of ["etcdNaming", "memoryNaming", "zookeeperNaming", "instance", "NamingError"]) {
      expect(names).toContain(name);
    }
    for (const name of ["filterInstances", "subset", "preferZone", "roundRobin", "p2c", "ringHash"]) {
      expect(names).toContain(name);
    }
    const inside = [
      "MemoryStore",
      "MemoryLink",
      "encodeInstance",
      "decodeInstance",
      "instancesInfo",
      "byHostname",
      "instanceEquals",
      "eqInstance",
      "eqInstances",
      "layoutNamed",
      "layoutNames",
      "createNaming",
      "InstanceList",
    ];
    expect(names.filter((name) => inside.includes(name))).toEqual([]);
  });

  it("rxnaming/testing holds the in-memory store, its links and the helpers of tests", () => {
    expect(Object.keys(testing).sort()).toEqual(
      ["MemoryLink", "MemoryStore", "encodeInstance", "instancesInfo", "testInstance", "testNaming"].sort(),
    );
  });
});
