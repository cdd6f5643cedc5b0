import * as O from "fp-ts/lib/Option.js";
import type { SchedulerLike } from "rxjs";
import type { Instance } from "../model/index.js";
import type { EjectionOptions } from "./ejection.js";

/** What a caller may tell a picker about one request. */
export interface PickRequest {
  /** The key of consistent hashing ({@link ringHash}); other balancers ignore it. */
  readonly hashKey?: string;
  /**
   * Which instances may take this request, by pick address (e.g. those with a connection up).
   * {@link ringHash} then goes round its ring to the next usable instance, so that a key stays on
   * its instance while that one is usable and returns to it when it is again; other balancers
   * ignore it (feed them only the usable instances instead).
   */
  readonly usable?: (addr: string) => boolean;
}

/** How a picked request ended: reported through {@link Picked.done}. */
export interface PickResult {
  /** Set when the request failed. */
  readonly error?: unknown;
  /** The request's latency; when absent, balancers that learn from latency measure it themselves. */
  readonly latencyMs?: number;
  /**
   * The request was never sent: it was picked, then not started (cancelled first, or its
   * connection was gone). A balancer that counts requests in flight (p2c) forgets the pick, and
   * nothing is learned from it; `error` and `latencyMs` are ignored.
   */
  readonly notSent?: boolean;
}

/** One choice of an instance for one request. */
export interface Picked {
  /** The chosen instance. */
  readonly instance: Instance;
  /** The chosen address as "host:port" (see `BalancerOptions.addrScheme`). */
  readonly addr: string;
  /** Call once the request ended; balancers that learn (p2c) feed on it, the others ignore it. */
  done(result?: PickResult): void;
}

/**
 * An immutable snapshot of a balancer over one instance set, as grpc-js pickers are: a balancer
 * emits a new picker for every set. `pick` returns `none` when the set is empty.
 *
 * @example
 * resolver.instances$.pipe(roundRobin()).subscribe((picker) => (current = picker));
 * const choice = current.pick(); // Option<Picked>
 */
export interface Picker {
  /** Picks an instance for one request; `none` when the set is empty. */
  pick(request?: PickRequest): O.Option<Picked>;
}

/**
 * The traffic-safety options every balancer takes, those made with {@link balancer} too (see
 * docs/traffic-safety.md).
 */
export interface TrafficOptions {
  /**
   * Passive ejection: an instance whose requests fail (reported through `done({ error })`) is left
   * out for a while. On by default with the defaults of {@link EjectionOptions}; `false` turns it off.
   */
  readonly ejection?: EjectionOptions | boolean;
  /**
   * Slow start: an instance that joins a running set, or returns from ejection, takes a share of
   * the traffic that grows from 10% to all of it over this many ms. Default 0 (off). Round robin,
   * weighted round robin and p2c apply it; random and ring hash ignore it.
   */
  readonly slowStartMs?: number;
  /** The clock and timers of ejection and slow start, default `asyncScheduler` (a TestScheduler makes them virtual). */
  readonly scheduler?: SchedulerLike;
}

/** Options every built-in balancer takes. */
export interface BalancerOptions extends TrafficOptions {
  /**
   * The scheme of the address a pick carries, default `"grpc"`: the first addr of that scheme, or
   * the instance's first addr when it has none of that scheme ("" when it has no addr at all).
   */
  readonly addrScheme?: string;
}

/** The picker of an empty set: nothing to pick. */
export const emptyPicker: Picker = Object.freeze({ pick: () => O.none });

/**
 * A pick made once per instance version and reused by every pick, whose `done` only reports to
 * passive ejection. Why: round robin, random, WRR and ring hash learn nothing else from results,
 * so their hot path can return a preallocated `Option<Picked>` and allocate nothing.
 */
export class StaticPick implements Picked {
  constructor(
    readonly instance: Instance,
    readonly addr: string,
    private readonly report: (result?: PickResult) => void,
  ) {}
  done(result?: PickResult): void {
    this.report(result);
  }
}
