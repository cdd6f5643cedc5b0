/**
 * The part of OpenTelemetry's metrics API that rxnaming uses, as structural types: a
 * `MeterProvider` of `@opentelemetry/api` (or of its SDK) fits them. Declared here so that
 * rxnaming's types do not name `@opentelemetry/api`, which an application may not have installed.
 */

/** Attributes of a measurement. */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

/** What OpenTelemetry's `MetricOptions` holds that rxnaming sets. */
export interface InstrumentOptions {
  /** What the instrument measures. */
  readonly description?: string;
  /** Its unit, UCUM style (`s`, `{update}`). */
  readonly unit?: string;
  /** Hints to the SDK: a histogram's bucket boundaries. */
  readonly advice?: InstrumentAdvice;
}

/** OpenTelemetry's `MetricAdvice`, as rxnaming sets it. */
export interface InstrumentAdvice {
  /** A histogram's bucket boundaries. */
  readonly explicitBucketBoundaries?: number[];
}

/** A counter: `add`. */
export interface CounterLike {
  /** Adds `value`, with these attributes. */
  add(value: number, attributes?: MetricAttributes): void;
}

/** A histogram: `record`. */
export interface HistogramLike {
  /** Records one measurement. */
  record(value: number, attributes?: MetricAttributes): void;
}

/** What an observable instrument's callback is given. */
export interface ObservableResultLike {
  /** Reports the value now, with these attributes. */
  observe(value: number, attributes?: MetricAttributes): void;
}

/** An observable gauge: callbacks read at each collection. */
export interface ObservableGaugeLike {
  /** Reads the gauge at each collection. */
  addCallback(callback: (result: ObservableResultLike) => void): void;
  /** Stops reading it. */
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/** A meter: makes instruments. */
export interface MeterLike {
  /** A counter. */
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  /** A histogram. */
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  /** An observable gauge. */
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableGaugeLike;
}

/** OpenTelemetry's `MeterProvider`, as rxnaming uses it. */
export interface MeterProviderLike {
  /** The meter of an instrumentation scope (rxnaming asks for "rxnaming"). */
  getMeter(name: string): MeterLike;
}
