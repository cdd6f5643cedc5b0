import { throwError } from "rxjs";
import { isNamingError, numberOption, optionsRecord, type NamingError } from "../model/index.js";
import type { CoreNaming } from "./core-naming.js";

/** The most a lease may live on etcd (its `MaxLeaseTTL`), and so on the in-memory backend. */
export const MAX_TTL_SECONDS = 9_000_000_000;

/**
 * Checks the options of `register`: a record (or nothing) with known keys, a TTL in whole
 * seconds from 1 to `maxTtlSeconds`. The `InvalidOption`, or undefined when they are fine.
 */
export const registerOptionsProblem = (options: unknown, maxTtlSeconds: number): NamingError | undefined => {
  try {
    const o = optionsRecord("register options", options, ["ttlSeconds"]);
    numberOption("ttlSeconds", o["ttlSeconds"], {
      integer: true,
      min: 1,
      max: maxTtlSeconds,
      unit: " seconds",
    });
    return undefined;
  } catch (e) {
    if (isNamingError(e)) return e;
    throw e;
  }
};

/**
 * The naming with `register`'s options checked first: wrong ones end the registration at once
 * with a final `InvalidOption`, before anything reaches the backend.
 */
export const withCheckedRegister = <O>(naming: CoreNaming<O>, maxTtlSeconds: number): CoreNaming<O> => ({
  ...naming,
  register: (instance, options) => {
    const problem = registerOptionsProblem(options, maxTtlSeconds);
    return problem === undefined ? naming.register(instance, options) : throwError(() => problem);
  },
});
