import { of, type Observable } from "rxjs";
import type { InstancesInfo } from "../../src/model/index.js";
export { info, inst } from "../fixtures.js";

/** Everything a synchronous stream emits. */
export const collect = <T>(source: Observable<T>): T[] => {
  const out: T[] = [];
  source.subscribe((v) => out.push(v));
  return out;
};

/** The one result of running `operator` over one set. */
export const once = <T>(set: InstancesInfo, operator: (s: Observable<InstancesInfo>) => Observable<T>): T => {
  const out = collect(operator(of(set)));
  if (out.length !== 1) throw new Error(`expected one emission, got ${out.length}`);
  return out[0]!;
};

export const hostsOf = (set: InstancesInfo): string[] => set.instances.map((i) => i.hostname);
