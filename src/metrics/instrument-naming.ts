import { invalidOption } from "../model/index.js";
import { LATENCY_BUCKETS_S, meterOf } from "./meter-of.js";
import type {
  MeterProviderLike,
  MetricAttributes as Attributes,
  ObservableResultLike,
} from "./meter-types.js";
import { probeOf, type ProbeSink } from "./probe.js";

/** Options of {@link instrumentNaming}. */
export interface NamingMetricsOptions {
  /** Where the instruments come from; by default the global one of `@opentelemetry/api`. */
  readonly meterProvider?: MeterProviderLike;
}

/** The metrics of one naming, until {@link NamingMetrics.stop} is called. */
export interface NamingMetrics {
  /** Whether anything records: false when no provider was given and no SDK is registered. */
  readonly recording: boolean;
  /** Stops recording this naming's events and drops its gauge. */
  stop(): void;
}

const notRecording: NamingMetrics = Object.freeze({ recording: false, stop: () => undefined });

/**
 * Records a naming's events as OpenTelemetry metrics (docs/metrics.md lists each instrument):
 * resolver updates and instances per app, watch reconnects and re-reads, registrations lost and
 * made again, etcd keep-alive latency.
 *
 * The instruments come from `meterProvider`, else from the global provider of
 * `@opentelemetry/api` (an optional peer dependency): register the SDK before calling this. With
 * neither an SDK nor the package, nothing is recorded and the naming pays nothing.
 *
 * @example
 * const naming = etcdNaming({ hosts: "http://127.0.0.1:2379" });
 * const metrics = instrumentNaming(naming); // the global MeterProvider
 * // ...
 * metrics.stop();
 */
export const instrumentNaming = (
  naming: { readonly scheme: string },
  options: NamingMetricsOptions = {},
): NamingMetrics => {
  const probe = typeof naming === "object" && naming !== null ? probeOf(naming) : undefined;
  if (probe === undefined) {
    throw invalidOption("naming", "must be a Naming made by rxnaming (etcdNaming, memoryNaming, ...)");
  }
  const meter = meterOf(options.meterProvider);
  if (meter === undefined) return notRecording;

  const scheme = naming.scheme;
  const base: Attributes = { "rxnaming.scheme": scheme };
  // One attributes object per app, made once: an update allocates nothing.
  const perApp = new Map<string, Attributes>();
  const appAttributes = (appId: string): Attributes => {
    let a = perApp.get(appId);
    if (a === undefined) {
      a = { "rxnaming.app": appId, "rxnaming.scheme": scheme };
      perApp.set(appId, a);
    }
    return a;
  };

  const updates = meter.createCounter("rxnaming.resolver.updates", {
    description:
      "Sets of instances an app's shared watch emitted (one per backend change that changed the set).",
    unit: "{update}",
  });
  const instances = meter.createObservableGauge("rxnaming.resolver.instances", {
    description: "Instances in the latest set of each app watched now.",
    unit: "{instance}",
  });
  const reconnects = meter.createCounter("rxnaming.watch.reconnects", {
    description:
      "Watches made again after they broke: the backend's shared watch stream, or an app's watch retried.",
    unit: "{reconnect}",
  });
  const rereads = meter.createCounter("rxnaming.watch.rereads", {
    description: "Sets read again because a watch could not resume from its revision (etcd compaction).",
    unit: "{reread}",
  });
  const lost = meter.createCounter("rxnaming.registration.lost", {
    description: "Registrations whose lease the backend let go.",
    unit: "{registration}",
  });
  const remade = meter.createCounter("rxnaming.registration.remade", {
    description: "Registrations written again under a new lease after a loss.",
    unit: "{registration}",
  });
  const keepAlive = meter.createHistogram("rxnaming.lease.keepalive.duration", {
    description: "Time from sending a lease keep-alive to etcd's answer.",
    unit: "s",
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
  });

  const observe = (result: ObservableResultLike): void => {
    for (const [appId, size] of probe.sizes) result.observe(size, appAttributes(appId));
  };
  instances.addCallback(observe);

  const sink: ProbeSink = {
    updated: (appId) => updates.add(1, appAttributes(appId)),
    ended: (appId) => perApp.delete(appId),
    watchReconnected: () => reconnects.add(1, base),
    reread: () => rereads.add(1, base),
    leaseLost: (appId) => lost.add(1, appAttributes(appId)),
    reregistered: (appId) => remade.add(1, appAttributes(appId)),
    keepAlive: (seconds) => keepAlive.record(seconds, base),
  };
  probe.sink = sink;
  return {
    recording: true,
    stop: () => {
      if (probe.sink === sink) probe.sink = undefined;
      instances.removeCallback(observe);
    },
  };
};
