import { instanceEquals, type Instance, type InstancesInfo } from "../model/index.js";

/**
 * Whether two instance lists hold equal instances in the same order.
 *
 * Why: the operators here skip an emission that would repeat their previous output. The core keeps
 * the identity of unchanged instances, so the `===` fast path inside `instanceEquals` decides almost
 * every comparison without looking at fields.
 */
export const sameInstances = (a: readonly Instance[], b: readonly Instance[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!instanceEquals(a[i]!, b[i]!)) return false;
  }
  return true;
};

/**
 * An `InstancesInfo` holding `instances` (already sorted by hostname, as a sublist of `info`'s),
 * or `info` itself when nothing was dropped, so that pass-through costs no allocation.
 */
export const withInstances = (info: InstancesInfo, instances: readonly Instance[]): InstancesInfo =>
  instances.length === info.instances.length
    ? info
    : Object.freeze({ appId: info.appId, instances: Object.freeze(instances), revision: info.revision });
