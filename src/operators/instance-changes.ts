import { defer, filter, map, type OperatorFunction } from "rxjs";
import { instanceEquals, type Instance, type InstancesInfo } from "../model/index.js";

/** What changed between two consecutive sets, with both sets. */
export interface InstanceChanges {
  /** The current set. */
  readonly info: InstancesInfo;
  /** The set before it; `undefined` on the first emission. */
  readonly previous: InstancesInfo | undefined;
  /** Instances whose hostname is new, in hostname order. */
  readonly added: readonly Instance[];
  /** Instances whose hostname is gone (their last version), in hostname order. */
  readonly removed: readonly Instance[];
  /** New versions of instances that stayed but changed, in hostname order. */
  readonly updated: readonly Instance[];
}

/**
 * Turns a stream of sets into a stream of differences: added, removed and updated instances.
 * The first emission lists every instance as added (an empty first set gives an emission with
 * nothing added, so that "there are none" is still said). Later sets equal to the previous one
 * emit nothing.
 *
 * Why: connection pools, logs and metrics act on what changed, not on the whole set. Both lists
 * are sorted by hostname, so this is one merge pass, O(n).
 *
 * @example
 * resolver.instances$.pipe(instanceChanges()).subscribe(({ added, removed }) => {
 *   added.forEach(connect);
 *   removed.forEach(disconnect);
 * });
 */
export const instanceChanges = (): OperatorFunction<InstancesInfo, InstanceChanges> => {
  const diffWith = (previous: InstancesInfo | undefined, info: InstancesInfo): InstanceChanges => {
    const before = previous?.instances ?? [];
    const after = info.instances;
    const added: Instance[] = [];
    const removed: Instance[] = [];
    const updated: Instance[] = [];
    let i = 0;
    let j = 0;
    while (i < before.length || j < after.length) {
      const b = before[i];
      const a = after[j];
      if (a === undefined || (b !== undefined && b.hostname < a.hostname)) {
        removed.push(b!);
        i++;
      } else if (b === undefined || a.hostname < b.hostname) {
        added.push(a);
        j++;
      } else {
        if (!instanceEquals(b, a)) updated.push(a);
        i++;
        j++;
      }
    }
    return { info, previous, added, removed, updated };
  };
  // defer: each subscription diffs against its own previous set.
  return (source) =>
    defer(() => {
      let previous: InstancesInfo | undefined;
      let first = true;
      return source.pipe(
        map((info) => {
          const changes = diffWith(previous, info);
          previous = info;
          return changes;
        }),
        filter((c) => {
          const keep = first || c.added.length + c.removed.length + c.updated.length > 0;
          first = false;
          return keep;
        }),
      );
    });
};
