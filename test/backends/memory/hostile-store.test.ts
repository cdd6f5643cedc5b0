// A hostile value in the in-memory store (written there by another naming sharing the store, or
// by a test) takes down nothing but its own key.
import { describe, it } from "vitest";
import { MemoryStore } from "../../../src/backends/memory/index.js";
import { memoryNaming } from "../../../src/index.js";
import { deepJsonScenario } from "../deep-json-scenario.js";

describe("memory naming and hostile values", () => {
  it("lists the app around a value nested 5,000 deep, first read and change alike", async () => {
    const store = new MemoryStore();
    const naming = memoryNaming({ store, lingerMs: 0 });
    try {
      await deepJsonScenario(
        naming,
        "deep.app",
        async (hostname, value) => void store.put(`/kratos_etcd/deep.app/${hostname}`, value),
        (hostname) => `/kratos_etcd/deep.app/${hostname}`,
      );
    } finally {
      await naming.close();
    }
  });
});
