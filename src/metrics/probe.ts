/**
 * The few events of a naming that metrics count, told by the core and the backends to one probe
 * per naming. The probe does nothing until a sink is attached ({@link instrumentNaming}), so a
 * naming without metrics pays a property read per event; the core never loads OpenTelemetry.
 * See docs/metrics.md.
 */
export interface ProbeSink {
  /** An app's shared watch emitted a new set of `size` instances. */
  updated(appId: string, size: number): void;
  /** An app's shared watch ended (linger over, or the naming closed). */
  ended(appId: string): void;
  /** A watch was made again after it broke (etcd's shared stream, or an app's watch retried). */
  watchReconnected(): void;
  /** An app's set was read again because the watch could not resume (etcd compaction). */
  reread(): void;
  /** A registration's lease was lost. */
  leaseLost(appId: string): void;
  /** A registration wrote its key again under a new lease, after a loss. */
  reregistered(appId: string): void;
  /** etcd answered a lease keep-alive after `seconds`. */
  keepAlive(seconds: number): void;
}

/** One naming's probe: forwards to the attached sink, and keeps each watched app's size for gauges. */
export class Probe {
  /** Where events go; none until metrics are attached. */
  sink: ProbeSink | undefined;
  /** The size of each app's latest set, while its watch lasts: read by an instance-count gauge. */
  readonly sizes = new Map<string, number>();

  updated(appId: string, size: number): void {
    this.sizes.set(appId, size);
    this.sink?.updated(appId, size);
  }
  ended(appId: string): void {
    this.sizes.delete(appId);
    this.sink?.ended(appId);
  }
  watchReconnected(): void {
    this.sink?.watchReconnected();
  }
  reread(): void {
    this.sink?.reread();
  }
  leaseLost(appId: string): void {
    this.sink?.leaseLost(appId);
  }
  reregistered(appId: string): void {
    this.sink?.reregistered(appId);
  }
  keepAlive(seconds: number): void {
    this.sink?.keepAlive(seconds);
  }
}

// A registered symbol: a naming object copied with spread (as wrappers do) keeps its probe.
const PROBE = Symbol.for("rxnaming.probe");

/** Attaches `probe` to a backend or a naming object, where {@link probeOf} finds it. */
export const withProbe = <T extends object>(target: T, probe: Probe): T =>
  Object.assign(target, { [PROBE]: probe });

/** The probe attached to a backend or a naming, if any. */
export const probeOf = (target: object): Probe | undefined => (target as { [PROBE]?: Probe })[PROBE];
