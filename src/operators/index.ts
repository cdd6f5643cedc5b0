/**
 * Instance-set operators: RxJS operators over `Observable<InstancesInfo>` that narrow, subset and
 * diff the sets a resolver emits. Published as `rxnaming/operators`.
 *
 * @packageDocumentation
 * @module rxnaming/operators
 */
export { filterInstances, instancePredicate } from "./filter-instances.js";
export type { Allowed, InstancePredicate, InstanceSelector } from "./filter-instances.js";
export { preferZone } from "./prefer-zone.js";
export type { PreferZoneOptions } from "./prefer-zone.js";
export { subset } from "./subset.js";
export type { SubsetAlgorithm, SubsetOptions } from "./subset.js";
export { instanceChanges } from "./instance-changes.js";
export type { InstanceChanges } from "./instance-changes.js";
export { addrs, hostPortOf } from "./addrs.js";
export type { AddrsOptions } from "./addrs.js";
export { distinctSets } from "./distinct-sets.js";
export { buildOptions } from "./build-options.js";
export type { BuildOptions, SubsetBuildOption, ZoneBuildOption } from "./build-options.js";
