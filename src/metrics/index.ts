/**
 * OpenTelemetry metrics of namings and balancers (docs/metrics.md). `@opentelemetry/api` is an
 * optional peer dependency, loaded only when an instrument is wanted.
 */
export { instrumentNaming, type NamingMetrics, type NamingMetricsOptions } from "./instrument-naming.js";
export { meterPicks, trafficMetrics, type PickMetricsOptions, type TrafficMetrics } from "./meter-picks.js";
export type { FaceMetricsOptions } from "./metrics-option.js";
export type {
  CounterLike,
  HistogramLike,
  InstrumentAdvice,
  InstrumentOptions,
  MeterLike,
  MeterProviderLike,
  MetricAttributes,
  ObservableGaugeLike,
  ObservableResultLike,
} from "./meter-types.js";
