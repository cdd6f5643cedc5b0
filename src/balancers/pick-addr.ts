import type { Instance } from "../model/index.js";
import { authorityOf, isScheme } from "../shared/authority.js";

/**
 * The address a pick carries: the authority ("host:port") of the instance's first addr of
 * `scheme`, else of its first addr of any scheme, else "".
 *
 * @example
 * pickAddr(i, "grpc") // "10.0.0.1:9000" for addrs ["http://10.0.0.1:8000", "grpc://10.0.0.1:9000"]
 */
export const pickAddr = (instance: Instance, scheme: string): string => {
  const chosen = instance.addrs.find(isScheme(scheme)) ?? instance.addrs[0];
  return chosen === undefined ? "" : authorityOf(chosen);
};
