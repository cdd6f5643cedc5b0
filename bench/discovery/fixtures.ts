/**
 * What every discovery scenario shares: the values written to etcd, statistics, and the messages
 * between the bench (parent, in vitest) and its scenario processes (children, compiled, run with
 * `node --expose-gc`).
 */

/** Key prefix of every scenario (Kratos v1's default). */
export const PREFIX = "kratos_etcd";

export const appPrefix = (app: string): string => `/${PREFIX}/${app}/`;

export const hostname = (k: number): string => `host-${String(k).padStart(5, "0")}`;

export const keyOf = (app: string, k: number): string => `${appPrefix(app)}${hostname(k)}`;

/**
 * A realistic Kratos v1 value (~290 bytes): two addrs, three metadata fields, as a Go Kratos
 * service writes it. `version` is what churn changes.
 */
export const valueOf = (app: string, k: number, version = "v1"): string =>
  JSON.stringify({
    region: "region-1",
    zone: `zone-${"abc"[k % 3]}`,
    env: "prod",
    appid: app,
    hostname: hostname(k),
    addrs: [
      `grpc://10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}:9000`,
      `http://10.0.${(k >> 8) & 255}.${k & 255}:8000`,
    ],
    version,
    latest_timestamp: 1_732_800_000_000_000_000 + k * 1_000,
    metadata: { weight: String(1 + (k % 10)), cluster: `c${k % 4}`, color: k % 2 === 0 ? "blue" : "green" },
    status: 1,
  });

/** Nearest-rank percentile of already sorted numbers. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export const sortedCopy = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

export const median = (xs: readonly number[]): number => percentile(sortedCopy(xs), 50);

/** CPU time (user + system) of this process in ms since `since`. */
export const cpuMs = (since?: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- scenario parameters and results ----

interface Endpoints {
  /** etcd's client URL. */
  readonly endpoint: string;
  /** etcd's plain-HTTP /metrics. */
  readonly metricsUrl: string;
}

/**
 * "kratos" is the Kratos v1/v2 strategy written in TypeScript, what a direct port does: its own
 * watch per consumer, and a full prefix `Get` decoded whole on every watch response (./kratos-port.ts).
 */
export type ConsumersVariant = "rxnaming" | "rxnaming-builds" | "raw" | "raw-fanout" | "kratos" | "floor";

export interface ConsumersParams extends Endpoints {
  readonly scenario: "consumers";
  readonly variant: ConsumersVariant;
  readonly app: string;
  readonly consumers: number;
  readonly warmupPuts: number;
  readonly samples: number;
}

export interface ConsumersResult {
  readonly variant: ConsumersVariant;
  readonly consumers: number;
  readonly setupMs: number;
  /** CPU of this process over the setup (a loaded machine stretches the wall time, not this). */
  readonly setupCpuMs: number;
  /** The synchronous part of the setup: the loop that subscribes (or issues the creates). */
  readonly subscribeMs: number;
  readonly heapBytes: number;
  readonly watchersAdded: number;
  readonly watchStreamsAdded: number;
  /** Put (issued here on a second client) until the last consumer saw it, ms, sorted. */
  readonly latencies: number[];
}

export interface ColdStartParams extends Endpoints {
  readonly scenario: "cold-start";
  readonly app: string;
  readonly instances: number;
  readonly warmup: number;
  readonly reps: number;
  /**
   * gRPC's `grpc.max_receive_message_length` for the client, when one range exceeds grpc-js's
   * default of 4 MB (100,000 instances are ~30 MB). Both sides get the same.
   */
  readonly maxReceiveBytes?: number;
}

export interface ColdStartResult {
  readonly raw: number[];
  readonly rxnaming: number[];
  /** Client CPU of the same runs (ms). */
  readonly rawCpu: number[];
  readonly rxnamingCpu: number[];
}

export type ChurnVariant = "raw-map" | "rxnaming" | "rxnaming-read" | "kratos";

export interface ChurnParams extends Endpoints {
  readonly scenario: "churn";
  readonly variant: ChurnVariant;
  readonly app: string;
  readonly instances: number;
}

export interface ChurnResult {
  readonly variant: ChurnVariant;
  readonly events: number;
  readonly emissions: number;
  readonly cpuMs: number;
  readonly wallMs: number;
}

export type RegistrationsVariant = "rxnaming" | "raw";

export interface RegistrationsParams extends Endpoints {
  readonly scenario: "registrations";
  readonly variant: RegistrationsVariant;
  readonly app: string;
  readonly registrations: number;
  readonly ttlSeconds: number;
  readonly windowMs: number;
}

export interface RegistrationsResult {
  readonly variant: RegistrationsVariant;
  readonly registrations: number;
  readonly setupMs: number;
  readonly windowMs: number;
  /** Differences of etcd metrics over the steady-state window. */
  readonly revisionDelta: number;
  readonly putDelta: number;
  readonly deleteDelta: number;
  readonly txnDelta: number;
  readonly putBytesDelta: number;
  readonly leaseRenewedDelta: number;
  readonly keepAliveMessagesDelta: number;
  /** LeaseKeepAlive gRPC streams open (started - handled) during the window. */
  readonly keepAliveStreams: number;
  readonly clientCpuMs: number;
  readonly heapBytes: number;
  readonly closeMs: number;
  /** Keys left under the app's prefix after close (expected 0). */
  readonly keysLeft: number;
  /** rxnaming only: `lost` events seen, and what `errors$` reported (count, first message). */
  readonly lost?: number;
  readonly errors?: number;
  readonly firstError?: string;
}

export interface MicroParams {
  readonly scenario: "micro";
  readonly instances: number;
  readonly events: number;
}

export interface MicroResult {
  /** µs of CPU per event, in process, no etcd. */
  readonly mapUs: number;
  readonly appSetUs: number;
  readonly appSetReadUs: number;
}

/** The appid of the gateway scenario's i-th app. */
export const gatewayApp = (i: number): string => `bench.gateway.app-${String(i).padStart(4, "0")}`;

export type GatewayVariant = "rxnaming" | "raw";

/** A gateway: one process watching many apps of a few instances each. */
export interface GatewayParams extends Endpoints {
  readonly scenario: "gateway";
  readonly variant: GatewayVariant;
  /** Apps `gatewayApp(0)` .. `gatewayApp(apps - 1)`. */
  readonly apps: number;
  readonly perApp: number;
  /** Puts after setup, each to another app, timed until that app's consumer saw it. */
  readonly samples: number;
}

export interface GatewayResult {
  readonly variant: GatewayVariant;
  readonly apps: number;
  readonly setupMs: number;
  /** From the start until etcd counted one watcher per app (`setupMs` + 20 s at most), ms. */
  readonly watchesMs: number;
  /** Faults ridden out during the run (rxnaming's `errors$`, raw watchers' errors), and the first. */
  readonly faults: number;
  readonly firstFault?: string;
  /** Growth of the settled heap over the setup, in bytes (all apps). */
  readonly heapBytes: number;
  readonly watchersAdded: number;
  readonly watchStreamsAdded: number;
  /** Put until the consumer of that app saw it, ms, sorted. */
  readonly latencies: number[];
}

export type HeapVariant = "map" | "rxnaming";

/** Heap of one app with very many instances, held by a consumer. */
export interface HeapParams extends Endpoints {
  readonly scenario: "heap";
  readonly variant: HeapVariant;
  readonly app: string;
  readonly instances: number;
  readonly maxReceiveBytes: number;
}

export interface HeapResult {
  readonly variant: HeapVariant;
  readonly instances: number;
  /** Growth of the settled heap from before the read to after it, the set held, bytes. */
  readonly heapBytes: number;
  /** Wall time of the read (first set), ms: cold code, one run. */
  readonly loadMs: number;
  /** rxnaming only: what the same read gives with `etcdClientOptions()`'s defaults. */
  readonly withDefaults?: string;
}

export type ScenarioParams =
  | ConsumersParams
  | ColdStartParams
  | ChurnParams
  | RegistrationsParams
  | MicroParams
  | GatewayParams
  | HeapParams;

/** Child -> parent. */
export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "seen"; readonly revision: number }
  | { readonly type: "result"; readonly result: unknown }
  | { readonly type: "error"; readonly message: string };

/** Parent -> child (churn only). */
export type ParentMessage =
  | { readonly type: "start" }
  | { readonly type: "until"; readonly revision: number; readonly measure: boolean };
