import { distinctUntilChanged, map, pipe, type OperatorFunction } from "rxjs";
import { eqStrings, oneOfOption, optionsRecord, stringOption, type InstancesInfo } from "../model/index.js";
import { authorityOf, isScheme } from "../shared/authority.js";

/** Options of {@link addrs}. */
export interface AddrsOptions {
  /**
   * `"hostPort"` (default): the URL's authority, e.g. `"10.0.0.1:9000"`, what a dialer
   * (`net.connect`, a gRPC subchannel) takes. `"url"`: the address as registered,
   * e.g. `"grpc://10.0.0.1:9000"`.
   */
  readonly format?: "hostPort" | "url";
}

/**
 * The authority ("host:port") of `addr` when it is a URL of `scheme`, else `undefined`.
 * Schemes compare case-insensitively (URL schemes are); user info ("user@") is dropped.
 *
 * @example
 * hostPortOf("grpc")("grpc://10.0.0.1:9000/x") // "10.0.0.1:9000"
 */
export const hostPortOf = (scheme: string): ((addr: string) => string | undefined) => {
  const matches = isScheme(scheme);
  return (addr) => (matches(addr) ? authorityOf(addr) : undefined);
};

/**
 * The addresses of one scheme across a set: for `"grpc"`, every `grpc://` addr of every instance,
 * in hostname order and then in the instance's own order, as `"host:port"` (or as full URLs with
 * `{ format: "url" }`). Instances without such an address contribute nothing.
 *
 * Why: most consumers want endpoints to dial, not instances; this is what a gRPC resolver hands to
 * its channel.
 *
 * Emissions: one per input set, except that a list equal to the previous list is skipped (e.g. only
 * metadata changed).
 *
 * @example
 * resolver.instances$.pipe(addrs("grpc")) // ["10.0.0.1:9000", "10.0.0.2:9000"]
 */
export const addrs = (
  scheme: string,
  options?: AddrsOptions,
): OperatorFunction<InstancesInfo, readonly string[]> => {
  stringOption("scheme", scheme, { nonEmpty: true, required: true });
  const o = optionsRecord<AddrsOptions>("addrs options", options, ["format"]);
  const parse = hostPortOf(scheme);
  const asUrl = oneOfOption("format", o.format, ["hostPort", "url"]) === "url";
  return pipe(
    map((info) => {
      const out: string[] = [];
      for (const i of info.instances) {
        for (const addr of i.addrs) {
          const hostPort = parse(addr);
          if (hostPort !== undefined) out.push(asUrl ? addr : hostPort);
        }
      }
      return Object.freeze(out) as readonly string[];
    }),
    distinctUntilChanged(eqStrings.equals),
  );
};
