import * as O from "fp-ts/lib/Option.js";
import type { EjectionEvent, Picked, Picker, PickRequest, PickResult } from "../balancers/index.js";
import type { Instance } from "../model/index.js";
import { LATENCY_BUCKETS_S } from "./meter-of.js";
import type {
  CounterLike as Counter,
  HistogramLike as Histogram,
  MeterLike,
  MetricAttributes as Attributes,
  ObservableGaugeLike,
  ObservableResultLike,
} from "./meter-types.js";

/** What a {@link TrafficMeter} is told besides its meter. */
export interface TrafficMeterOptions {
  /** Adds `rxnaming.endpoint` ("host:port") to every instance's measurements. */
  readonly endpoint?: boolean | undefined;
  /** The app named on picks that found no instance. */
  readonly app?: string | undefined;
  /** The clock in ms: calls whose `done` gives no latency, and when ejections end. */
  readonly now?: (() => number) | undefined;
}

/** The attributes of one instance's measurements, made once per instance object. */
export interface InstanceAttributes {
  /** App, zone and (when asked) endpoint: ejections and the ejected gauge. */
  readonly common: Attributes;
  readonly picked: Attributes;
  readonly ok: Attributes;
  readonly error: Attributes;
  readonly notSent: Attributes;
}

/** An instance ejected now, as the gauge counts it. */
interface Ejected {
  /** When its ejection ends at the latest: a balancer that stops never says it returned. */
  readonly until: number;
  readonly attributes: Attributes;
}

/**
 * The instruments of one balancer's traffic (docs/metrics.md#balancer): its picks, its calls'
 * results and durations, its ejections and the instances ejected now, and health changes. Made
 * only when something records, so that code without metrics never reaches here.
 */
export class TrafficMeter {
  private readonly picks: Counter;
  private readonly calls: Counter;
  private readonly duration: Histogram;
  private readonly ejections: Counter;
  private readonly healthChanges: Counter;
  private readonly ejectedGauge: ObservableGaugeLike;
  readonly now: () => number;
  private readonly endpoint: boolean;
  private readonly none: Attributes;
  private readonly byInstance = new WeakMap<Instance, InstanceAttributes>();
  /** Instances ejected now, by app and hostname. */
  private readonly ejected = new Map<string, Ejected>();
  /** The gauge's series that read above 0 at the last collection. */
  private readonly reported = new Map<string, Attributes>();
  private observing = false;

  constructor(meter: MeterLike, options: TrafficMeterOptions) {
    this.picks = meter.createCounter("rxnaming.balancer.picks", {
      description: "Picks made by a balancer, by result: an instance picked, or none to pick.",
      unit: "{pick}",
    });
    this.calls = meter.createCounter("rxnaming.balancer.calls", {
      description: "Picked calls that ended (reported to the pick's done), by result.",
      unit: "{call}",
    });
    this.duration = meter.createHistogram("rxnaming.balancer.call.duration", {
      description:
        "Duration of picked calls as reported to the balancer (done's latencyMs, else measured from the pick).",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    });
    this.ejections = meter.createCounter("rxnaming.balancer.ejections", {
      description: "Instances a balancer's passive ejection left out.",
      unit: "{ejection}",
    });
    this.ejectedGauge = meter.createObservableGauge("rxnaming.balancer.ejected", {
      description: "Instances a balancer's passive ejection leaves out now.",
      unit: "{instance}",
    });
    this.healthChanges = meter.createCounter("rxnaming.health.changes", {
      description: "Health states learned from an endpoint's health watch: its first, then each change.",
      unit: "{change}",
    });
    this.now = options.now ?? (() => performance.now());
    this.endpoint = options.endpoint === true;
    this.none = {
      ...(options.app !== undefined && { "rxnaming.app": options.app }),
      "rxnaming.pick.result": "none",
    };
  }

  /** `picker`, counting each pick and how its call ended. */
  picker(picker: Picker): Picker {
    return {
      pick: (request?: PickRequest) => {
        const choice = picker.pick(request);
        if (O.isNone(choice)) {
          this.picks.add(1, this.none);
          return choice;
        }
        const attributes = this.attributesOf(choice.value.instance, choice.value.addr);
        this.picks.add(1, attributes.picked);
        return O.some<Picked>(new MeteredPick(choice.value, attributes, this));
      },
    };
  }

  /** How a metered pick's call ended. */
  called(attributes: InstanceAttributes, result: PickResult | undefined, start: number): void {
    if (result?.notSent === true) {
      this.calls.add(1, attributes.notSent);
      return;
    }
    const a = result?.error !== undefined ? attributes.error : attributes.ok;
    this.calls.add(1, a);
    this.duration.record((result?.latencyMs ?? this.now() - start) / 1000, a);
  }

  /** A balancer's ejection event (its `ejection.onEvent`). */
  readonly onEvent = (event: EjectionEvent): void => {
    const key = `${event.instance.appId}\n${event.instance.hostname}`;
    if (event.type === "returned") {
      this.ejected.delete(key);
      return;
    }
    const { common } = this.attributesOf(event.instance, undefined);
    this.ejections.add(1, common);
    this.ejected.set(key, { until: this.now() + event.forMs, attributes: common });
    if (!this.observing) {
      this.observing = true;
      this.ejectedGauge.addCallback(this.observe);
    }
  };

  /** An endpoint's health watch learned `state` (SERVING, NOT_SERVING, UNIMPLEMENTED, ...). */
  health(instance: Instance, addr: string, state: string): void {
    this.healthChanges.add(1, {
      ...this.attributesOf(instance, addr).common,
      "rxnaming.health.state": state,
    });
  }

  /**
   * The gauge's reading: ejected instances by attributes. A series that has none left reads 0
   * once (an SDK keeps a cumulative gauge's last value), and the gauge stops reading when all are 0.
   */
  private readonly observe = (result: ObservableResultLike): void => {
    const now = this.now();
    const counts = new Map<string, { n: number; attributes: Attributes }>();
    for (const series of this.reported) counts.set(series[0], { n: 0, attributes: series[1] });
    for (const [key, e] of this.ejected) {
      if (e.until <= now) {
        this.ejected.delete(key);
        continue;
      }
      // Two versions of one instance have equal attributes in two objects: one series.
      const series = JSON.stringify(e.attributes);
      const c = counts.get(series);
      if (c === undefined) counts.set(series, { n: 1, attributes: e.attributes });
      else c.n++;
    }
    this.reported.clear();
    for (const [series, { n, attributes }] of counts) {
      result.observe(n, attributes);
      if (n > 0) this.reported.set(series, attributes);
    }
    if (this.ejected.size === 0) {
      this.observing = false;
      this.ejectedGauge.removeCallback(this.observe);
    }
  };

  private attributesOf(instance: Instance, addr: string | undefined): InstanceAttributes {
    let a = this.byInstance.get(instance);
    if (a === undefined) {
      const common: Attributes = {
        "rxnaming.app": instance.appId,
        ...(instance.zone !== "" && { "rxnaming.zone": instance.zone }),
        ...(this.endpoint && { "rxnaming.endpoint": addr ?? authorityOf(instance) }),
      };
      a = {
        common,
        picked: { ...common, "rxnaming.pick.result": "picked" },
        ok: { ...common, "rxnaming.call.result": "ok" },
        error: { ...common, "rxnaming.call.result": "error" },
        notSent: { ...common, "rxnaming.call.result": "not_sent" },
      };
      this.byInstance.set(instance, a);
    }
    return a;
  }
}

/** "host:port" of an instance's first address, for an ejection of an instance never picked here. */
const authorityOf = (instance: Instance): string => {
  try {
    return new URL(instance.addrs[0] ?? "").host;
  } catch {
    return "";
  }
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
    private readonly meter: TrafficMeter,
  ) {
    this.instance = inner.instance;
    this.addr = inner.addr;
    this.start = meter.now();
  }

  done(result?: PickResult): void {
    if (!this.finished) {
      this.finished = true;
      this.meter.called(this.attributes, result, this.start);
    }
    this.inner.done(result);
  }
}
