import { memoryNaming, type Naming } from "../../src/index.js";
import { MemoryStore } from "../../src/testing/index.js";
import { layoutFixtures } from "./layout-fixtures.js";
import { namingContract } from "./naming-contract.js";

for (const fixture of layoutFixtures) {
  namingContract(
    "memory",
    async () => {
      const store = new MemoryStore();
      const namings: Naming[] = [];
      return {
        naming: (options = {}) => {
          const naming = memoryNaming({ store, lingerMs: 0, ...options });
          namings.push(naming);
          return naming;
        },
        put: async (key, value) => void store.put(key, value),
        del: async (key) => void store.delete(key),
        get: async (key) => store.get(key),
        keys: async (prefix) => store.range(prefix).entries.map((e) => e.key),
        dispose: async () => {
          await Promise.all(namings.map((n) => n.close()));
        },
      };
    },
    fixture,
  );
}
