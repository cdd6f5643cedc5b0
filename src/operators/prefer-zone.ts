import { map, pipe, type MonoTypeOperatorFunction } from "rxjs";
import { numberOption, optionsRecord, stringOption, type InstancesInfo } from "../model/index.js";
import { distinctSets } from "./distinct-sets.js";
import { withInstances } from "./same-instances.js";

/** Options of {@link preferZone}. */
export interface PreferZoneOptions {
  /**
   * The fewest instances the client's zone must have to be used alone; with fewer, every zone is
   * used. Default 1 (fall back only when the zone is empty).
   */
  readonly minInstances?: number;
}

/**
 * Keeps only the instances in the client's zone while it has at least `minInstances` of them,
 * and falls back to all zones when it has fewer (Kratos' ScheduleNode idea).
 *
 * Why: calls within a zone are cheaper and faster, but a client must not be stranded because its
 * zone lost its instances. Unlike Kratos v1 there is no crash when every zone is empty: an empty
 * set passes through as an empty set.
 *
 * Emissions: one per input set, except that a result equal to the previous result is skipped
 * (e.g. an instance of another zone changed while the local zone is used alone).
 *
 * @example
 * resolver.instances$.pipe(preferZone("sh001", { minInstances: 2 }))
 */
export const preferZone = (
  zone: string,
  options?: PreferZoneOptions,
): MonoTypeOperatorFunction<InstancesInfo> => {
  stringOption("zone", zone, { required: true });
  const o = optionsRecord<PreferZoneOptions>("preferZone options", options, ["minInstances"]);
  // Zero or less would make an empty zone "enough"; an empty zone must always fall back.
  const minInstances = Math.max(1, numberOption("minInstances", o.minInstances, { integer: true }) ?? 1);
  return pipe(
    map((info) => {
      const local = info.instances.filter((i) => i.zone === zone);
      return withInstances(info, local.length >= minInstances ? local : info.instances);
    }),
    distinctSets(),
  );
};
