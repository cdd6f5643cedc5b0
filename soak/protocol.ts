// The messages between the soak driver and its worker processes (over Node's IPC channel).

/** What a worker is told at start (as JSON in argv[2]). */
export interface WorkerConfig {
  readonly id: number;
  /** The worker's own proxies, one per member: cutting all of them partitions this worker. */
  readonly endpoints: readonly string[];
  readonly ttlSeconds: number;
  /** Apps this worker watches (all of them) and registers in. */
  readonly apps: readonly string[];
  /** Registrations held at once. */
  readonly registrations: number;
  /** Seed of this worker's own churn (which registration goes, which app a new one joins). */
  readonly seed: number;
}

/** A registration's event, as the driver sees it: what rxnaming emitted, or that the worker ended it. */
export type RegEventType = "registered" | "updated" | "lost" | "unsubscribed" | "errored";

/** Driver -> worker. */
export type ToWorker =
  /** Quiet: stop churn and updates so the sets can settle, or start them again. */
  | { readonly type: "quiet"; readonly on: boolean }
  /** Asks for a snapshot; `gc` runs a full GC first so that the heap figure is comparable. */
  | { readonly type: "query"; readonly seq: number; readonly gc: boolean }
  /** Unsubscribe everything, close the naming and the client, say "stopped", exit. */
  | { readonly type: "stop" };

/** One registration as the worker holds it now. */
export interface RegState {
  readonly app: string;
  readonly host: string;
  /** The version last handed to rxnaming (an `Observable<Instance>` registration moves it on). */
  readonly version: string;
  readonly dynamic: boolean;
  readonly key: string | undefined;
  /** The lease of the last `registered` event. */
  readonly leaseId: string | undefined;
  readonly last: RegEventType | "none";
}

/** One app as this worker's resolver sees it now. */
export interface ViewState {
  readonly app: string;
  /** `hostname=version`, sorted by hostname, as rxnaming emitted it. */
  readonly fingerprint: readonly string[] | undefined;
  readonly revision: string | undefined;
  /** A second, independent subscriber of the same appid (through another build()): must agree. */
  readonly twin: readonly string[] | undefined;
  readonly errors: number;
  readonly completed: boolean;
}

/** Worker -> driver. */
export type FromWorker =
  | { readonly type: "ready"; readonly id: number; readonly pid: number }
  | {
      readonly type: "event";
      readonly id: number;
      readonly pid: number;
      readonly at: number;
      readonly app: string;
      readonly host: string;
      readonly event: RegEventType;
      readonly leaseId?: string;
      readonly detail?: string;
    }
  /** Something on the naming's errors$ (for the loss report: it says why a lease was lost). */
  | { readonly type: "naming-error"; readonly id: number; readonly at: number; readonly message: string }
  | {
      readonly type: "state";
      readonly id: number;
      readonly pid: number;
      readonly seq: number;
      readonly regs: readonly RegState[];
      readonly views: readonly ViewState[];
      /** heapUsed after a full GC, when asked for. */
      readonly heapUsed: number | undefined;
    }
  | { readonly type: "stopped"; readonly id: number; readonly closeMs: number }
  | { readonly type: "fatal"; readonly id: number; readonly message: string };
