import * as E from "fp-ts/lib/Either.js";
import { of, type Observable } from "rxjs";
import {
  instance,
  instancesInfo,
  type Instance,
  type InstanceInput,
  type InstancesInfo,
} from "../../src/model/index.js";

/** A valid instance of app "demo" (throws on invalid input: fixtures are programmer-made). */
export const inst = (hostname: string, fields: InstanceInput = {}): Instance => {
  const result = instance({
    appId: "demo",
    hostname,
    addrs: [`grpc://${hostname}:9000`],
    lastTs: 1,
    ...fields,
  });
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

export const info = (instances: readonly Instance[], revision = "1"): InstancesInfo =>
  instancesInfo("demo", instances, revision);

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
