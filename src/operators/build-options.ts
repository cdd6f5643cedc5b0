import { hostname } from "node:os";
import { identity, type MonoTypeOperatorFunction } from "rxjs";
import { optionsRecord, type InstancesInfo } from "../model/index.js";
import { filterInstances, type InstancePredicate, type InstanceSelector } from "./filter-instances.js";
import { preferZone } from "./prefer-zone.js";
import { subset, type SubsetAlgorithm } from "./subset.js";

/**
 * Kratos' BuildOpt: how a resolver narrows the set it hands out. Each option is also a standalone
 * operator ({@link filterInstances}, {@link preferZone}, {@link subset}).
 */
export interface BuildOptions {
  /** Keep only matching instances: a predicate, or a zone/region/env/cluster/status/metadata selection. */
  readonly filter?: InstancePredicate | InstanceSelector;
  /**
   * Deterministic subsetting: a size, or a size with the client id (default `os.hostname()`) and
   * the algorithm (default `"rendezvous"`, stable under churn).
   */
  readonly subset?: number | SubsetBuildOption;
  /** Prefer this zone while it has at least `minInstances` (default 1) instances. */
  readonly zone?: string | ZoneBuildOption;
}

/** The `subset` of {@link BuildOptions}, in full. */
export interface SubsetBuildOption {
  /** How many instances each client keeps. */
  readonly size: number;
  /** The client's id, default `os.hostname()`: clients with different ids get different subsets. */
  readonly clientId?: string;
  /** Default `"rendezvous"`, stable under churn. */
  readonly algorithm?: SubsetAlgorithm;
}

/** The `zone` of {@link BuildOptions}, in full. */
export interface ZoneBuildOption {
  /** The zone to prefer, usually the client's own. */
  readonly zone: string;
  /** Fall back to every zone when the preferred one has fewer instances than this (default 1). */
  readonly minInstances?: number;
}

/**
 * The operator that applies {@link BuildOptions}: filter, then zone preference, then subset.
 * That order matters: a subset taken before filtering could be filtered down to nothing, and the
 * zone must be chosen among usable instances. With no options it is `identity`, so the resolver's
 * sets pass through as the very same objects.
 *
 * @example
 * resolver.instances$.pipe(buildOptions({ filter: { env: "prod" }, zone: "sh001", subset: 20 }))
 */
export const buildOptions = (options?: BuildOptions): MonoTypeOperatorFunction<InstancesInfo> => {
  const o = optionsRecord<BuildOptions>("build options", options, ["filter", "subset", "zone"]);
  const steps: MonoTypeOperatorFunction<InstancesInfo>[] = [];
  if (o.filter !== undefined) steps.push(filterInstances(o.filter));
  if (o.zone !== undefined) {
    const zone =
      typeof o.zone === "string"
        ? { zone: o.zone }
        : optionsRecord<ZoneBuildOption>("zone", o.zone, ["zone", "minInstances"]);
    // preferZone and subset check the values themselves.
    steps.push(
      preferZone(
        zone.zone as string,
        zone.minInstances === undefined ? {} : { minInstances: zone.minInstances },
      ),
    );
  }
  if (o.subset !== undefined) {
    const s =
      typeof o.subset === "number"
        ? { size: o.subset }
        : optionsRecord<SubsetBuildOption>("subset", o.subset, ["size", "clientId", "algorithm"]);
    steps.push(
      subset(
        s.size as number,
        s.clientId ?? hostname(),
        s.algorithm === undefined ? {} : { algorithm: s.algorithm },
      ),
    );
  }
  if (steps.length === 0) return identity;
  return (source) => steps.reduce((acc, step) => acc.pipe(step), source);
};
