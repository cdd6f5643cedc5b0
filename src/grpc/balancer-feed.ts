import { Subject, type OperatorFunction, type Subscription } from "rxjs";
import { emptyPicker, type Picker } from "../balancers/index.js";
import type { TrafficMetrics } from "../metrics/index.js";
import { isNamingError, NamingError, type Instance, type InstancesInfo } from "../model/index.js";
import type { ResolvedInstances } from "./endpoints.js";
import type { PolicyConfig } from "./policy-config.js";
import type { PolicyContext } from "./policy-spec.js";

const byHostname = (a: Instance, b: Instance): number =>
  a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;

/**
 * The balancer from `src/balancers` behind one channel: an operator from instance sets to
 * pickers, fed the instances of the channel's endpoints, keeping its latest picker.
 */
export class BalancerFeed<C> {
  /** The balancer's latest picker. */
  picker: Picker = emptyPicker;
  private sets: Subject<InstancesInfo> | undefined;
  private subscription: Subscription | undefined;
  private configJson = "";
  private feeding = false;

  constructor(
    private readonly context: PolicyContext<C>,
    /** Told of a picker the balancer made on its own, outside {@link BalancerFeed.next}. */
    private readonly onPicker: () => void,
  ) {}

  /**
   * A changed config starts a new balancer (its options changed); the same config keeps it.
   * Returns the problem when the balancer cannot be made. `traffic`, when it records, hears the
   * balancer's ejections and picks (docs/metrics.md#grpc-policies).
   */
  use(config: PolicyConfig<C>, traffic: TrafficMetrics | undefined): NamingError | undefined {
    const { spec, report } = this.context;
    const json = JSON.stringify(config.toJsonObject());
    if (this.sets !== undefined && json === this.configJson) return undefined;
    let operator: OperatorFunction<InstancesInfo, Picker>;
    try {
      const recording = traffic?.recording === true ? traffic : undefined;
      const balance = spec.balancer(config.config, recording?.onEvent);
      operator = recording === undefined ? balance : (s) => s.pipe(balance, recording.picks);
    } catch (cause) {
      const problem = isNamingError(cause)
        ? cause
        : new NamingError("Decode", `cannot use load-balancing config ${json}: ${String(cause)}`, {
            key: spec.name,
            cause,
          });
      report(problem);
      return problem;
    }
    this.configJson = json;
    this.subscription?.unsubscribe();
    const sets = new Subject<InstancesInfo>();
    this.sets = sets;
    this.picker = emptyPicker;
    // The balancers emit synchronously on each set: `next` has its picker when it returns. A
    // picker emitted at another time (an ejection starts or ends, a slow start steps) replaces
    // the channel's.
    this.subscription = sets.pipe(operator).subscribe((picker) => {
      this.picker = picker;
      if (!this.feeding) this.onPicker();
    });
    return undefined;
  }

  /** Feeds the balancer a set (sorted by hostname); {@link BalancerFeed.picker} is then its picker. */
  next(resolved: ResolvedInstances | undefined, instances: Instance[]): void {
    this.feeding = true;
    try {
      this.sets?.next({
        appId: resolved?.appId ?? "",
        instances: Object.freeze(instances.sort(byHostname)),
        revision: resolved?.revision ?? "",
      });
    } finally {
      this.feeding = false;
    }
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.sets = undefined;
  }
}
