export { memoryBackend, type MemoryBackendOptions } from "./memory-backend.js";
export { MemoryStore, MemoryStoreError, type MemoryStoreOptions } from "./memory-store.js";
export { MemoryLink } from "./memory-link.js";
