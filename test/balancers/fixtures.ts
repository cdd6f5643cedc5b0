import * as O from "fp-ts/lib/Option.js";
import {
  Subject,
  Subscription,
  type Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from "rxjs";
import type { InstancesInfo } from "../../src/model/index.js";
export { info, inst } from "../fixtures.js";
import type { Picked, Picker, PickRequest } from "../../src/balancers/index.js";

/** Feeds sets into a balancer by hand and keeps its latest picker. */
export const drive = (operator: OperatorFunction<InstancesInfo, Picker>) => {
  const sets = new Subject<InstancesInfo>();
  const pickers: Picker[] = [];
  const sub = (sets as Observable<InstancesInfo>).pipe(operator).subscribe((p) => pickers.push(p));
  return {
    push: (set: InstancesInfo) => sets.next(set),
    pickers,
    get picker(): Picker {
      const p = pickers[pickers.length - 1];
      if (p === undefined) throw new Error("no picker yet");
      return p;
    },
    stop: () => sub.unsubscribe(),
  };
};

/** The pick, or a test failure when there is none. */
export const mustPick = (picker: Picker, request?: PickRequest): Picked => {
  const choice = picker.pick(request);
  if (O.isNone(choice)) throw new Error("expected a pick, got none");
  return choice.value;
};

/** How many of `picks` picks went to each hostname. */
export const countPicks = (
  picker: Picker,
  picks: number,
  request?: () => PickRequest,
): Map<string, number> => {
  const counts = new Map<string, number>();
  for (let k = 0; k < picks; k++) {
    const h = mustPick(picker, request?.()).instance.hostname;
    counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  return counts;
};

/** A seeded PRNG (mulberry32), for balancers that take `random`. */
export const seeded = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * A scheduler whose time moves only when told (`advance`), running what falls due in order: the
 * virtual clock of property tests, where a TestScheduler's marble frames would be in the way.
 */
export const manualScheduler = () => {
  let now = 0;
  let seq = 0;
  const queue: { at: number; seq: number; work: () => void; cancelled: boolean }[] = [];
  const scheduler: SchedulerLike = {
    now: () => now,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const task = { at: now + delay, seq: seq++, work: () => {}, cancelled: false };
      const action = { schedule: () => new Subscription() } as unknown as SchedulerAction<T>;
      task.work = () => work.call(action, state);
      queue.push(task);
      return new Subscription(() => {
        task.cancelled = true;
      });
    },
  };
  const advance = (ms: number): void => {
    const until = now + ms;
    for (;;) {
      const due = queue
        .filter((t) => !t.cancelled && t.at <= until)
        .sort((x, y) => x.at - y.at || x.seq - y.seq)[0];
      if (due === undefined) break;
      queue.splice(queue.indexOf(due), 1);
      now = Math.max(now, due.at);
      due.work();
    }
    now = until;
  };
  return { scheduler, advance, pending: () => queue.filter((t) => !t.cancelled).length };
};
