import { asyncScheduler, Observable, type OperatorFunction, type Subscription } from "rxjs";
import { eqInstances, optionsRecord, type Instance, type InstancesInfo } from "../model/index.js";
import { Outcomes, maxEjected } from "./ejection.js";
import { emptyPicker, type Picker, type PickResult, type TrafficOptions } from "./picker.js";
import { TRAFFIC_KEYS, trafficRules, type TrafficRules } from "./traffic-options.js";

/** What a balancer keeps per instance: at least the instance it was made for. */
export interface BalancerEntry {
  /** The instance this entry was made for. */
  readonly instance: Instance;
}

/**
 * What every pick of one instance calls from its own `done`, with the same result: passive ejection
 * learns from it. One per hostname, the same function while the hostname stays.
 */
export type PickDone = (result?: PickResult) => void;

/**
 * The two functions that make a balancer on {@link balancer}: what it keeps per instance, and the
 * picker over a set of those. See docs/balancers.md.
 */
export interface BalancerSpec<E extends BalancerEntry> {
  /**
   * The entry of an instance that is new, or whose data changed. `previous` is the entry the same
   * hostname had until now (undefined for a new one), so that what was learned carries over. An
   * instance that did not change keeps its entry without a call. Every pick of the instance must
   * call `done` from its own `done`.
   */
  entry(instance: Instance, previous: E | undefined, done: PickDone): E;
  /**
   * The picker over the entries of a set, in hostname order, never empty, ejected instances left
   * out. `shares`, when given, holds each entry's share of its normal traffic for now, in (0, 1]:
   * below 1 while the instance is in slow start. It is undefined when every share is 1.
   */
  picker(entries: readonly E[], shares: readonly number[] | undefined): Picker;
}

/** No ejection, no slow start: a balancer exactly as its spec makes it. */
export const NO_TRAFFIC_RULES: TrafficRules = Object.freeze({
  ejection: undefined,
  slowStartMs: 0,
  scheduler: asyncScheduler,
});

/** The smallest share an instance in slow start takes (Envoy's default minimum weight). */
const MIN_RAMP = 0.1;
/** A ramp advances in this many steps: a new picker per step, none in between. */
const RAMP_STEPS = 20;

const ignore: PickDone = () => undefined;

/** What the machinery keeps per hostname. */
interface Slot<E> {
  entry: E;
  readonly outcomes: Outcomes | undefined;
  /** When its slow start began; -Infinity when it is not ramping. */
  rampFrom: number;
  /** Until when it is ejected; -Infinity when it is not. */
  ejectedUntil: number;
}

/**
 * Makes a balancer from its spec: an operator from instance sets to pickers, with passive ejection
 * and slow start applied to it as to the built-in ones (which are made the same way). Per
 * subscription it keeps one entry per hostname, made again only when that instance changes, and
 * emits a new picker for every set that differs from the previous one (a picker whose `pick`
 * returns `none` for an empty set), and whenever an instance is ejected, comes back, or moves a
 * step in its slow start. Options: `ejection` (on by default), `slowStartMs`, `scheduler`, as the
 * built-in balancers take them. See docs/balancers.md.
 *
 * @example
 * // The first instance in hostname order that is not ejected.
 * const first = balancer({
 *   entry: (instance, _previous, done) => ({ instance, some: O.some({ instance, addr: new URL(instance.addrs[0]!).host, done }) }),
 *   picker: (entries) => ({ pick: () => entries[0]!.some }),
 * });
 * resolver.instances$.pipe(first).subscribe((picker) => (current = picker));
 */
export const balancer = <E extends BalancerEntry>(
  spec: BalancerSpec<E>,
  options?: TrafficOptions,
): OperatorFunction<InstancesInfo, Picker> =>
  balancerOf(
    spec,
    trafficRules("balancer", optionsRecord("balancer options", options, TRAFFIC_KEYS, "balancer")),
  );

/**
 * {@link balancer} with its options already read: the built-in balancers read theirs with their
 * own names in errors.
 *
 * Traffic safety lives here, once for every balancer (docs/traffic-safety.md): a pick's `done`
 * reports to its hostname's record; when the ejection rules trip, a new picker without that
 * instance is emitted at once, and another when its ejection ends. An instance that joins a
 * running set (or returns from ejection) ramps up over `slowStartMs`, a new picker per step of the
 * ramp. Pickers stay immutable snapshots, so neither costs anything per pick.
 */
export const balancerOf =
  <E extends BalancerEntry>(
    spec: BalancerSpec<E>,
    rules: TrafficRules = NO_TRAFFIC_RULES,
  ): OperatorFunction<InstancesInfo, Picker> =>
  (source) =>
    new Observable<Picker>((subscriber) => {
      const { ejection, slowStartMs, scheduler } = rules;
      let slots = new Map<string, Slot<E>>();
      let order: Slot<E>[] = [];
      let last: readonly Instance[] | undefined;
      let ejected = 0;
      let timer: Subscription | undefined;
      let timerAt = Infinity;

      const wakeAt = (at: number): void => {
        if (at === timerAt) return;
        timer?.unsubscribe();
        timer = undefined;
        timerAt = at;
        if (at === Infinity) return;
        timer = scheduler.schedule(
          () => {
            timer = undefined;
            timerAt = Infinity;
            emit();
          },
          Math.max(0, at - scheduler.now()),
        );
      };

      /** A new picker of the instances not ejected now, with their ramps. */
      const emit = (): void => {
        const now = scheduler.now();
        const entries: E[] = [];
        let ramp: number[] | undefined;
        let next = Infinity;
        for (const slot of order) {
          if (slot.ejectedUntil > now) {
            next = Math.min(next, slot.ejectedUntil);
            continue;
          }
          if (slot.ejectedUntil !== -Infinity) {
            slot.ejectedUntil = -Infinity;
            ejected--;
            slot.outcomes?.returned(now);
            ejection?.onEvent?.({ type: "returned", instance: slot.entry.instance });
            if (slowStartMs > 0) slot.rampFrom = now;
          }
          let factor = 1;
          if (slot.rampFrom !== -Infinity) {
            const elapsed = now - slot.rampFrom;
            if (elapsed >= slowStartMs) slot.rampFrom = -Infinity;
            else {
              factor = Math.max(MIN_RAMP, elapsed / slowStartMs);
              // The next step of its ramp, on the grid of its own start (and later than now,
              // whatever the rounding).
              const step = slowStartMs / RAMP_STEPS;
              const at = slot.rampFrom + (Math.floor(elapsed / step) + 1) * step;
              next = Math.min(next, at > now ? at : now + step);
            }
          }
          if (factor < 1 && ramp === undefined) ramp = entries.map(() => 1);
          entries.push(slot.entry);
          ramp?.push(factor);
        }
        wakeAt(next);
        subscriber.next(entries.length === 0 ? emptyPicker : spec.picker(entries, ramp));
      };

      /**
       * A set that shrank may hold more ejected instances than its cap allows (all of them, even):
       * those whose ejection ends first return now.
       */
      const releaseOverCap = (now: number): void => {
        let over = ejected - maxEjected(ejection!, order.length);
        while (over-- > 0) {
          let first: Slot<E> | undefined;
          for (const slot of order) {
            if (slot.ejectedUntil > now && (first === undefined || slot.ejectedUntil < first.ejectedUntil))
              first = slot;
          }
          if (first === undefined) return;
          first.ejectedUntil = now;
        }
      };

      const reporter = (slot: Slot<E>, hostname: string): PickDone => {
        const outcomes = slot.outcomes;
        if (outcomes === undefined || ejection === undefined) return ignore;
        return (result) => {
          if (result === undefined || result.error === undefined) {
            if (result?.notSent !== true) outcomes.succeeded();
            return;
          }
          if (result.notSent === true || slot.ejectedUntil !== -Infinity) return;
          const now = scheduler.now();
          if (!outcomes.failed(now)) return;
          // A report from a pick of an instance that has left since counts for nothing.
          if (slots.get(hostname) !== slot || ejected >= maxEjected(ejection, order.length)) return;
          const forMs = outcomes.eject(now);
          slot.ejectedUntil = now + forMs;
          ejected++;
          ejection.onEvent?.({ type: "ejected", instance: slot.entry.instance, forMs });
          emit();
        };
      };

      const subscription = source.subscribe({
        next: (info) => {
          if (last !== undefined && eqInstances.equals(last, info.instances)) return;
          const first = last === undefined;
          last = info.instances;
          const now = scheduler.now();
          const next = new Map<string, Slot<E>>();
          const list: Slot<E>[] = [];
          ejected = 0;
          for (const i of info.instances) {
            let slot = slots.get(i.hostname);
            if (slot === undefined) {
              // An instance of the first set is no newcomer: the client is, and all start even.
              slot = {
                entry: undefined as unknown as E,
                outcomes: ejection === undefined ? undefined : new Outcomes(ejection),
                rampFrom: slowStartMs > 0 && !first ? now : -Infinity,
                ejectedUntil: -Infinity,
              };
              slot.entry = spec.entry(i, undefined, reporter(slot, i.hostname));
            } else if (slot.entry.instance !== i) {
              // An update of 1,000 instances allocates nothing for the ones that stayed.
              slot.entry = spec.entry(i, slot.entry, reporter(slot, i.hostname));
            }
            if (slot.ejectedUntil !== -Infinity) ejected++;
            next.set(i.hostname, slot);
            list.push(slot);
          }
          slots = next;
          order = list;
          if (ejection !== undefined) releaseOverCap(now);
          emit();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
