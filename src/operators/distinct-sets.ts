import { distinctUntilChanged, type MonoTypeOperatorFunction } from "rxjs";
import { eqInstances, type InstancesInfo } from "../model/index.js";

/**
 * Drops a set whose appId and instances equal the previous one's (a new revision alone is not a
 * change to a consumer of the set).
 *
 * Why: a filter, zone preference or subset often maps a backend change to the same output (an
 * instance outside the subset changed); its consumers (balancers, gRPC) should not rebuild for it.
 *
 * @example
 * resolver.instances$.pipe(filterInstances({ zone: "sh001" }), distinctSets())
 */
export const distinctSets = (): MonoTypeOperatorFunction<InstancesInfo> =>
  distinctUntilChanged((a, b) => a.appId === b.appId && eqInstances.equals(a.instances, b.instances));
