import { defer, filter, map, type OperatorFunction } from "rxjs";
import { instanceEquals, type Instance, type InstancesInfo } from "../model/index.js";
import { emptyPicker, type Picker } from "./picker.js";

/** What a balancer keeps per instance: at least the instance it was made for. */
export interface Entry {
  readonly instance: Instance;
}

/** The two things that make a balancer. */
export interface BalancerSpec<E extends Entry> {
  /**
   * The entry of an instance. `previous` is the entry of the same hostname in the previous set,
   * so that what was learned (EWMA, current weight, ring points) carries over; it is returned as
   * is by most balancers when `previous.instance === instance`.
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
          const same = last !== undefined && sameList(last, info.instances);
          last = info.instances;
          return !same;
        }),
        map((info) => {
          const next = new Map<string, E>();
          const list: E[] = [];
          for (const i of info.instances) {
            const e = spec.entry(i, entries.get(i.hostname));
            next.set(i.hostname, e);
            list.push(e);
          }
          entries = next;
          return list.length === 0 ? emptyPicker : spec.picker(list);
        }),
      );
    });

const sameList = (a: readonly Instance[], b: readonly Instance[]): boolean =>
  a === b || (a.length === b.length && a.every((x, i) => instanceEquals(x, b[i]!)));
