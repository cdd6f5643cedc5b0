import type { Instance } from "./instance.js";

/** The instances of one app at one backend revision: what every resolver stream carries. */
export interface InstancesInfo {
  /** The app the set is of. */
  readonly appId: string;
  /** After BuildOptions; sorted by hostname; frozen. */
  readonly instances: readonly Instance[];
  /** The backend revision this set reflects (etcd's header revision; a counter elsewhere). */
  readonly revision: string;
}

/** Compares by hostname, the order every `InstancesInfo` keeps. */
export const byHostname = (a: Instance, b: Instance): number =>
  a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;

/** An `InstancesInfo` from instances in any order: sorts and freezes. */
export const instancesInfo = (
  appId: string,
  instances: readonly Instance[],
  revision: string,
): InstancesInfo =>
  Object.freeze({ appId, instances: Object.freeze([...instances].sort(byHostname)), revision });
