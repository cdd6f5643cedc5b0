import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from "rxjs";
import { eqInstances, type Instance, type InstancesInfo } from "../model/index.js";
import { Outcomes, maxEjected, type EjectionRules } from "./ejection.js";
import { emptyPicker, type Picker, type PickResult } from "./picker.js";

/** What a balancer keeps per instance: at least the instance it was made for. */
export interface Entry {
  readonly instance: Instance;
}

/**
 * Where a pick of one instance reports how its request ended (`Picked.done` calls it): passive
 * ejection learns from it. One per hostname, kept while the hostname stays.
 */
export type Report = (result?: PickResult) => void;

/** The two things that make a balancer. */
export interface BalancerSpec<E extends Entry> {
  /**
   * The entry of a new or changed instance. `previous` is the entry of the same hostname in the
   * previous set (its instance changed), so that what was learned (EWMA, current weight, ring
   * points) carries over. An unchanged instance (the same object: the core keeps identity) keeps
   * its entry without a call. The entry's picks call `report` from their `done`.
   */
  entry(instance: Instance, previous: E | undefined, report: Report): E;
  /**
   * The picker over a non-empty list of entries, in hostname order, ejected instances left out.
   * `ramp`, when given, holds each entry's slow-start factor in (0, 1]: the share of its traffic
   * it should take for now (1 for an instance not starting); undefined when every factor is 1.
   */
  picker(entries: readonly E[], ramp: readonly number[] | undefined): Picker;
}

/** The traffic-safety settings {@link balancer} applies to every balancer. */
export interface TrafficRules {
  /** Passive ejection, or undefined for none. */
  readonly ejection: EjectionRules | undefined;
  /** The slow-start window, 0 for none. */
  readonly slowStartMs: number;
  /** The clock and timers of ejections and ramps. */
  readonly scheduler: SchedulerLike;
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

const ignore: Report = () => undefined;

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
 * Turns a {@link BalancerSpec} into an operator from sets to pickers: per subscription, a map of
 * entries by hostname that survives every set in which the hostname stays (Kratos v1 and v2 lose
 * it on every update), and one new immutable picker per changed set. A set equal to the previous
 * one emits nothing; an empty set emits a picker whose `pick` returns `none`.
 *
 * Traffic safety lives here, once for every balancer (docs/traffic-safety.md): a pick's `done`
 * reports to its hostname's record; when the ejection rules trip, a new picker without that
 * instance is emitted at once, and another when its ejection ends. An instance that joins a
 * running set (or returns from ejection) ramps up over `slowStartMs`, a new picker per step of the
 * ramp. Pickers stay immutable snapshots, so neither costs anything per pick.
 *
 * @example
 * const first = () => balancer({
 *   entry: (instance, _previous, report) => ({ instance, some: O.some({ instance, addr: "", done: report }) }),
 *   picker: (entries) => ({ pick: () => entries[0]!.some }),
 * }, NO_TRAFFIC_RULES);
 */
export const balancer =
  <E extends Entry>(
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

      const reporter = (slot: Slot<E>, hostname: string): Report => {
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
