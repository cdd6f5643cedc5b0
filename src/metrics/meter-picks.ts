import * as O from "fp-ts/lib/Option.js";
import { identity, map, type MonoTypeOperatorFunction } from "rxjs";
import type { Picked, Picker, PickRequest, PickResult } from "../balancers/index.js";
import type { Instance } from "../model/index.js";
import { LATENCY_BUCKETS_S, meterOf } from "./meter-of.js";
import type {
  CounterLike as Counter,
  HistogramLike as Histogram,
  MeterProviderLike,
  MetricAttributes as Attributes,
} from "./meter-types.js";

/** Options of {@link meterPicks}. */
export interface PickMetricsOptions {
  /** Where the instruments come from; by default the global one of `@opentelemetry/api`. */
  readonly meterProvider?: MeterProviderLike;
  /**
   * Adds the picked address (`rxnaming.endpoint`, "host:port") to every pick and call: one series
   * per instance, so only where the instances are few. Default false.
   */
  readonly endpoint?: boolean;
  /** The app named on picks that found no instance (which name none); default the attribute is left out. */
  readonly app?: string;
  /** The clock in ms for calls whose `done` gives no `latencyMs`; default `performance.now`. */
  readonly now?: () => number;
}

/** The attributes of one instance's picks and calls, made once per instance object. */
interface InstanceAttributes {
  readonly picked: Attributes;
  readonly ok: Attributes;
  readonly error: Attributes;
  readonly notSent: Attributes;
}

interface Instruments {
  readonly picks: Counter;
  readonly calls: Counter;
  readonly duration: Histogram;
  readonly now: () => number;
}

/**
 * Counts every pick of the pickers that pass through, and every call's result and duration as
 * reported to `done`, as OpenTelemetry metrics (docs/metrics.md#balancer): put it after any
 * balancer. Instruments come from `meterProvider`, else the global provider; with neither an SDK
 * nor `@opentelemetry/api`, it passes the pickers through untouched and costs nothing.
 *
 * @example
 * resolver.instances$.pipe(p2c(), meterPicks({ endpoint: true })).subscribe((p) => (picker = p));
 */
export const meterPicks = (options: PickMetricsOptions = {}): MonoTypeOperatorFunction<Picker> => {
  const meter = meterOf(options.meterProvider);
  if (meter === undefined) return identity;
  const instruments: Instruments = {
    picks: meter.createCounter("rxnaming.balancer.picks", {
      description: "Picks made by a balancer, by result: an instance picked, or none to pick.",
      unit: "{pick}",
    }),
    calls: meter.createCounter("rxnaming.balancer.calls", {
      description: "Picked calls that ended (reported to the pick's done), by result.",
      unit: "{call}",
    }),
    duration: meter.createHistogram("rxnaming.balancer.call.duration", {
      description:
        "Duration of picked calls as reported to the balancer (done's latencyMs, else measured from the pick).",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    }),
    now: options.now ?? (() => performance.now()),
  };
  const endpoint = options.endpoint === true;
  const none: Attributes = {
    ...(options.app !== undefined && { "rxnaming.app": options.app }),
    "rxnaming.pick.result": "none",
  };
  const byInstance = new WeakMap<Instance, InstanceAttributes>();
  const attributesOf = (picked: Picked): InstanceAttributes => {
    let a = byInstance.get(picked.instance);
    if (a === undefined) {
      const common: Attributes = {
        "rxnaming.app": picked.instance.appId,
        ...(endpoint && { "rxnaming.endpoint": picked.addr }),
      };
      a = {
        picked: { ...common, "rxnaming.pick.result": "picked" },
        ok: { ...common, "rxnaming.call.result": "ok" },
        error: { ...common, "rxnaming.call.result": "error" },
        notSent: { ...common, "rxnaming.call.result": "not_sent" },
      };
      byInstance.set(picked.instance, a);
    }
    return a;
  };
  return map((picker) => ({
    pick: (request?: PickRequest) => {
      const choice = picker.pick(request);
      if (O.isNone(choice)) {
        instruments.picks.add(1, none);
        return choice;
      }
      const attributes = attributesOf(choice.value);
      instruments.picks.add(1, attributes.picked);
      return O.some<Picked>(new MeteredPick(choice.value, attributes, instruments));
    },
  }));
};

/** A pick that records how its call ended, then tells the balancer's own pick. */
class MeteredPick implements Picked {
  readonly instance: Instance;
  readonly addr: string;
  private readonly start: number;
  private finished = false;

  constructor(
    private readonly inner: Picked,
    private readonly attributes: InstanceAttributes,
    private readonly instruments: Instruments,
  ) {
    this.instance = inner.instance;
    this.addr = inner.addr;
    this.start = instruments.now();
  }

  done(result?: PickResult): void {
    if (!this.finished) {
      this.finished = true;
      const { calls, duration, now } = this.instruments;
      if (result?.notSent === true) {
        calls.add(1, this.attributes.notSent);
      } else {
        const attributes = result?.error !== undefined ? this.attributes.error : this.attributes.ok;
        calls.add(1, attributes);
        duration.record((result?.latencyMs ?? now() - this.start) / 1000, attributes);
      }
    }
    this.inner.done(result);
  }
}
