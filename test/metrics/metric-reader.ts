import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from "@opentelemetry/sdk-metrics";

/** A reader that exports nothing by itself: the test asks it to collect. */
class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point as the tests compare it: a sum or gauge value, or a histogram's count and sum. */
export interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: number | { readonly count: number; readonly sum: number | undefined };
}

/** One instrument as collected. */
export interface Collected {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly type: string;
  readonly points: readonly Point[];
}

/** An SDK meter provider over a reader that collects on demand (cumulative temporality). */
export const testMeterProvider = (): {
  provider: MeterProvider;
  collect: () => Promise<Map<string, Collected>>;
} => {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Map<string, Collected>> => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    const byName = new Map<string, Collected>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, collected(metric));
    }
    return byName;
  };
  return { provider, collect };
};

const collected = (metric: MetricData): Collected => ({
  name: metric.descriptor.name,
  unit: metric.descriptor.unit,
  description: metric.descriptor.description,
  type: DataPointType[metric.dataPointType]!,
  points: metric.dataPoints.map((p) => ({
    attributes: { ...p.attributes },
    value:
      typeof p.value === "number"
        ? p.value
        : { count: (p.value as { count: number }).count, sum: (p.value as { sum?: number }).sum },
  })),
});
