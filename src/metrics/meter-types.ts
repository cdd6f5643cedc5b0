/**
 * The part of OpenTelemetry's metrics API that rxnaming uses, as structural types: a
 * `MeterProvider` of `@opentelemetry/api` (or of its SDK) fits them. Declared here so that
 * rxnaming's types do not name `@opentelemetry/api`, which an application may not have installed.
 */

/** Attributes of a measurement. */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

/** What OpenTelemetry's `MetricOptions` holds that rxnaming sets. */
export interface InstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/** A counter: `add`. */
export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

/** A histogram: `record`. */
export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** What an observable instrument's callback is given. */
export interface ObservableResultLike {
  observe(value: number, attributes?: MetricAttributes): void;
}

/** An observable gauge: callbacks read at each collection. */
export interface ObservableGaugeLike {
  addCallback(callback: (result: ObservableResultLike) => void): void;
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/** A meter: makes instruments. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableGaugeLike;
}

/** OpenTelemetry's `MeterProvider`, as rxnaming uses it. */
export interface MeterProviderLike {
  getMeter(name: string): MeterLike;
}
