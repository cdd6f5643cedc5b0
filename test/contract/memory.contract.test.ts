import { MemoryStore, memoryNaming, type Naming } from "../../src/index.js";
import { namingContract } from "./naming-contract.js";

namingContract("memory", async () => {
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
    dispose: async () => {
      await Promise.all(namings.map((n) => n.close()));
    },
  };
});
