export { discoveryBackend, type DiscoveryBackendOptions } from "./discovery-backend.js";
