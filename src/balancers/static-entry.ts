import * as O from "fp-ts/lib/Option.js";
import type { Instance } from "../model/index.js";
import type { PickDone } from "./balancer.js";
import { pickAddr } from "./pick-addr.js";
import { StaticPick, type Picked } from "./picker.js";

/** An entry holding the preallocated `some(pick)` of an instance version. */
export interface StaticEntry {
  readonly instance: Instance;
  readonly some: O.Option<Picked>;
}

/** The preallocated `some(pick)` of an instance version, its address of `scheme`. */
export const staticPick = (instance: Instance, scheme: string, report: PickDone): O.Option<Picked> =>
  O.some(new StaticPick(instance, pickAddr(instance, scheme), report));

/** The entry of a new or changed instance, for balancers that learn nothing from picks. */
export const staticEntry = (instance: Instance, scheme: string, report: PickDone): StaticEntry => ({
  instance,
  some: staticPick(instance, scheme, report),
});
