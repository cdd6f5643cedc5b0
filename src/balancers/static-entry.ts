import * as O from "fp-ts/lib/Option.js";
import type { Instance } from "../model/index.js";
import { pickAddr } from "./pick-addr.js";
import { StaticPick, type Pick } from "./picker.js";

/** An entry holding the preallocated `some(pick)` of an instance version. */
export interface StaticEntry {
  readonly instance: Instance;
  readonly some: O.Option<Pick>;
}

/**
 * The entry of `instance`: the previous one when the instance object is unchanged (so a list
 * update with 1,000 instances allocates nothing for the ones that stayed), else a new one.
 */
export const staticEntry = (
  instance: Instance,
  previous: StaticEntry | undefined,
  scheme: string,
): StaticEntry =>
  previous !== undefined && previous.instance === instance
    ? previous
    : { instance, some: O.some(new StaticPick(instance, pickAddr(instance, scheme))) };
