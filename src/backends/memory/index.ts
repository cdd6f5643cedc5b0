export { memoryBackend, type MemoryBackendOptions } from "./memory-backend.js";
export {
  MemoryStore,
  MemoryStoreError,
  type KeyHolder,
  type KeyTaken,
  type MemoryStoreOptions,
  type RangeResult,
} from "./memory-store.js";
export { MemoryLink } from "./memory-link.js";
