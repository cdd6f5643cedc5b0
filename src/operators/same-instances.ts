import type { Instance, InstancesInfo } from "../model/index.js";

/**
 * An `InstancesInfo` holding `instances` (already sorted by hostname, as a sublist of `info`'s),
 * or `info` itself when nothing was dropped, so that pass-through costs no allocation.
 */
export const withInstances = (info: InstancesInfo, instances: readonly Instance[]): InstancesInfo =>
  instances.length === info.instances.length
    ? info
    : Object.freeze({ appId: info.appId, instances: Object.freeze(instances), revision: info.revision });
