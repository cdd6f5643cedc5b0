export { etcdBackend, type EtcdBackendOptions } from "./etcd-backend.js";
export { etcdClientOptions } from "./client-options.js";
export type { WatchHubOptions } from "./watch-hub.js";
