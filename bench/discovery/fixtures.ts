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

export type ConsumersVariant = "rxnaming" | "rxnaming-builds" | "raw" | "floor";

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
}

export interface ColdStartResult {
  readonly raw: number[];
  readonly rxnaming: number[];
  /** Client CPU of the same runs (ms). */
  readonly rawCpu: number[];
  readonly rxnamingCpu: number[];
}

export type ChurnVariant = "raw-map" | "rxnaming" | "rxnaming-read";

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

export type ScenarioParams =
  ConsumersParams | ColdStartParams | ChurnParams | RegistrationsParams | MicroParams;

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
