export { memoryBackend, type MemoryBackendOptions } from "./memory-backend.js";
export { MemoryStore, MemoryStoreError, type MemoryStoreOptions, type RangeResult } from "./memory-store.js";
export { MemoryLink } from "./memory-link.js";
