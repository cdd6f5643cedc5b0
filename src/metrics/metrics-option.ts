import { booleanOption, objectOption, optionsRecord } from "../model/index.js";
import type { MeterProviderLike } from "./meter-types.js";

/** The `metrics` option of the gRPC and HTTP faces: `true`, or where and how to record. */
export interface FaceMetricsOptions {
  /** Where the instruments come from; by default the global one of `@opentelemetry/api`. */
  readonly meterProvider?: MeterProviderLike;
  /** Adds `rxnaming.endpoint` ("host:port") to every instance's measurements. Default false. */
  readonly endpoint?: boolean;
}

/**
 * `owner`'s `metrics` option read: undefined when metrics are off (absent or false), else how
 * to record. Anything else is an `InvalidOption` naming it.
 */
export const metricsOption = (owner: string, value: unknown): FaceMetricsOptions | undefined => {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  const o = optionsRecord(
    `${owner} metrics options`,
    value,
    ["meterProvider", "endpoint"],
    `${owner} metrics`,
  );
  objectOption(`${owner} metrics.meterProvider`, o["meterProvider"], "a MeterProvider (with getMeter)", [
    "getMeter",
  ]);
  booleanOption(`${owner} metrics.endpoint`, o["endpoint"]);
  return o as FaceMetricsOptions;
};
