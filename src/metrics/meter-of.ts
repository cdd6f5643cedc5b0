import { createRequire } from "node:module";
import type { MeterLike, MeterProviderLike } from "./meter-types.js";

/** The meter's name: the instrumentation scope of every rxnaming instrument. */
export const SCOPE = "rxnaming";

/** What rxnaming takes from `@opentelemetry/api` when it loads it. */
interface Api {
  readonly metrics: { getMeter(name: string): MeterLike };
  createNoopMeter(): MeterLike;
}

let api: Api | null | undefined;

/**
 * `@opentelemetry/api`, loaded on first need, or null when it is not installed: it is an optional
 * peer dependency, and rxnaming runs without it (see docs/metrics.md#without-opentelemetry).
 * Loaded with `require`, which it supports, so that asking stays synchronous.
 */
export const otelApi = (): Api | null => {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as Api;
    } catch {
      api = null;
    }
  }
  return api;
};

/**
 * The meter to make instruments from: the given provider's, else the global one's. Undefined
 * when nothing would record: no provider given and either no `@opentelemetry/api` or no SDK
 * registered (the API's no-op meter), so that callers skip the work altogether.
 */
export const meterOf = (meterProvider: MeterProviderLike | undefined): MeterLike | undefined => {
  if (meterProvider !== undefined) return meterProvider.getMeter(SCOPE);
  const otel = otelApi();
  if (otel === null) return undefined;
  const meter = otel.metrics.getMeter(SCOPE);
  return meter === otel.createNoopMeter() ? undefined : meter;
};

/** Bucket boundaries of latency histograms, in seconds: gRPC's (gRFC A66). */
export const LATENCY_BUCKETS_S = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01,
  0.013, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65,
  0.8, 1, 2, 5, 10, 20, 50, 100,
];
