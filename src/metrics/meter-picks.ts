import { identity, map, type MonoTypeOperatorFunction } from "rxjs";
import type { EjectionEvent, Picker } from "../balancers/index.js";
import type { Instance } from "../model/index.js";
import { meterOf } from "./meter-of.js";
import type { MeterProviderLike } from "./meter-types.js";
import { TrafficMeter } from "./traffic-meter.js";

/** Options of {@link meterPicks} and {@link trafficMetrics}. */
export interface PickMetricsOptions {
  /** Where the instruments come from; by default the global one of `@opentelemetry/api`. */
  readonly meterProvider?: MeterProviderLike;
  /**
   * Adds the instance's address (`rxnaming.endpoint`, "host:port") to every pick, call and
   * ejection: one series per instance, so only where the instances are few. Default false.
   */
  readonly endpoint?: boolean;
  /** The app named on picks that found no instance (which name none); default the attribute is left out. */
  readonly app?: string;
  /** The clock in ms for calls whose `done` gives no `latencyMs`, and for ejections; default `performance.now`. */
  readonly now?: () => number;
}

/** What {@link trafficMetrics} gives: the two hooks of one balancer. */
export interface TrafficMetrics {
  /** Whether anything records: false when no provider was given and no SDK is registered. */
  readonly recording: boolean;
  /** An operator to put after the balancer: counts picks, and each call's result and duration. */
  readonly picks: MonoTypeOperatorFunction<Picker>;
  /** The balancer's `ejection.onEvent`: counts ejections, and the instances ejected now. */
  readonly onEvent: (event: EjectionEvent) => void;
  /**
   * Counts a health state an instance's health check learned (`SERVING`, `NOT_SERVING`, ...):
   * call it with the first state and with each change.
   */
  readonly health: (instance: Instance, addr: string, state: string) => void;
}

const notRecording: TrafficMetrics = Object.freeze({
  recording: false,
  picks: identity,
  onEvent: () => undefined,
  health: () => undefined,
});

/**
 * The metrics of one balancer's traffic (docs/metrics.md#balancer): `picks` goes after the
 * balancer, `onEvent` into its ejection options, since an operator after a balancer cannot see
 * what it ejects. Use one per balancer: the count of instances ejected now is kept per value.
 * Instruments come from `meterProvider`, else the global provider; with neither an SDK nor
 * `@opentelemetry/api`, both hooks do nothing and cost nothing.
 *
 * @example
 * const traffic = trafficMetrics();
 * resolver.instances$
 *   .pipe(p2c({ ejection: { onEvent: traffic.onEvent } }), traffic.picks)
 *   .subscribe((p) => (picker = p));
 */
export const trafficMetrics = (options: PickMetricsOptions = {}): TrafficMetrics => {
  const meter = meterOf(options.meterProvider);
  if (meter === undefined) return notRecording;
  const traffic = new TrafficMeter(meter, options);
  return {
    recording: true,
    picks: map((picker) => traffic.picker(picker)),
    onEvent: traffic.onEvent,
    health: (instance, addr, state) => traffic.health(instance, addr, state),
  };
};

/**
 * Counts every pick of the pickers that pass through, and every call's result and duration as
 * reported to `done`, as OpenTelemetry metrics (docs/metrics.md#balancer): put it after any
 * balancer (for its ejections too, see {@link trafficMetrics}). Instruments come from
 * `meterProvider`, else the global provider; with neither an SDK nor `@opentelemetry/api`, it
 * passes the pickers through untouched and costs nothing.
 *
 * @example
 * resolver.instances$.pipe(p2c(), meterPicks({ endpoint: true })).subscribe((p) => (picker = p));
 */
export const meterPicks = (options: PickMetricsOptions = {}): MonoTypeOperatorFunction<Picker> =>
  trafficMetrics(options).picks;
