/**
 * rxnaming/console: a live console of the fleet in the browser (apps, instances, lease TTLs,
 * change history) and of this process's balancers (picks, latency, errors, ejections), served
 * from the package over server-sent events. See docs/console.md.
 *
 * @module rxnaming/console
 */
export { serveConsole, type ConsoleServer } from "./serve-console.js";
export type { ConsoleOptions } from "./console-options.js";
export { ClientView, type InstanceUse, type InstanceReport } from "./client-view.js";
export type { Fleet, LeaseTtl, InstanceEdit } from "./fleet.js";
export type { AppView, HistoryEntry } from "./app-history.js";
export { etcdFleet, type EtcdFleetOptions } from "./etcd-fleet.js";
