import { defer, filter, map, type OperatorFunction } from "rxjs";
import { eqInstances, type Instance, type InstancesInfo } from "../model/index.js";
import { emptyPicker, type Picker } from "./picker.js";

/** What a balancer keeps per instance: at least the instance it was made for. */
export interface Entry {
  readonly instance: Instance;
}

/** The two things that make a balancer. */
export interface BalancerSpec<E extends Entry> {
  /**
   * The entry of a new or changed instance. `previous` is the entry of the same hostname in the
   * previous set (its instance changed), so that what was learned (EWMA, current weight, ring
   * points) carries over. An unchanged instance (the same object: the core keeps identity) keeps
   * its entry without a call.
   */
  entry(instance: Instance, previous: E | undefined): E;
  /** The picker over a non-empty list of entries, in hostname order. */
  picker(entries: readonly E[]): Picker;
}

/**
 * Turns a {@link BalancerSpec} into an operator from sets to pickers: per subscription, a map of
 * entries by hostname that survives every set in which the hostname stays (Kratos v1 and v2 lose
 * it on every update), and one new immutable picker per changed set. A set equal to the previous
 * one emits nothing; an empty set emits a picker whose `pick` returns `none`.
 *
 * @example
 * const roundRobin = () => balancer({ entry: ..., picker: ... });
 */
export const balancer =
  <E extends Entry>(spec: BalancerSpec<E>): OperatorFunction<InstancesInfo, Picker> =>
  (source) =>
    defer(() => {
      let entries = new Map<string, E>();
      let last: readonly Instance[] | undefined;
      return source.pipe(
        filter((info) => {
          const same = last !== undefined && eqInstances.equals(last, info.instances);
          last = info.instances;
          return !same;
        }),
        map((info) => {
          const next = new Map<string, E>();
          const list: E[] = [];
          for (const i of info.instances) {
            const previous = entries.get(i.hostname);
            // An update of 1,000 instances allocates nothing for the ones that stayed.
            const e = previous !== undefined && previous.instance === i ? previous : spec.entry(i, previous);
            next.set(i.hostname, e);
            list.push(e);
          }
          entries = next;
          return list.length === 0 ? emptyPicker : spec.picker(list);
        }),
      );
    });
