import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { quoted, type Instance } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";
import {
  addrOfHostPort,
  blankInstance,
  checkLiteralPrefix,
  finishInstance,
  misfit,
  storedHostPortOf,
  segmentUnder,
} from "./layout-support.js";

// Go's %d of an int64 lease id (or of a publisher's own id, go-zero's WithId).
const INT64 = /^-?[0-9]{1,19}$/;

/**
 * go-zero's layout (`core/discov`): keys `<key>/<lease id>` (the lease id in decimal, as Go's
 * `%d` of an int64 writes it: ids pass 2^53, so they stay strings), values a bare `host:port`.
 * `prefix` (default none) is prepended to the key as it is.
 *
 * Mapping to `Instance`:
 * - appId = the whole go-zero key, "/" included ("app/user.rpc"); hostname = the lease id of the
 *   key's last segment, so rxnaming's own registration reads back with its lease id as hostname
 *   (and a new one after a lost lease: the key moves with the lease);
 * - addrs = [`grpc://<value>`] (a value that has a scheme already is kept as it is; an empty one,
 *   or one with whitespace, is a `Decode` error);
 * - lossy: only one address is written, the first `grpc://` one's host:port (an instance without
 *   one is `InvalidInstance` at `register`); hostname, region, zone, env, version, metadata,
 *   status and timestamp are not written, and read back as the lease id, "", {}, 0 (lastTs)
 *   and 1 (status).
 *
 * A key nests in another ("app/user.rpc" in "app"): the watch of "app" skips keys further down
 * quietly, where go-zero's own subscriber of "app/" would list them. A key under the app whose
 * last segment is not a decimal id does not fit, and is reported. go-zero leases last 10 s; set
 * `ttlSeconds: 10` to match.
 *
 * @example
 * goZeroLayout().keyOf(instance, "7587862073119283205") // "app/user.rpc/7587862073119283205"
 */
export const goZeroLayout = (prefix = ""): KeyLayout => {
  const root = checkLiteralPrefix(prefix);
  const appPrefix = (appId: string): string => `${root}${appId}/`;
  return {
    name: "go-zero",
    appIdProblem: () => undefined,
    appPrefix,
    keyOf: (instance, leaseId) => `${appPrefix(instance.appId)}${leaseId}`,
    hostnameOf: (appId, key) => {
      const id = segmentUnder(appPrefix(appId), key);
      if (typeof id !== "string" || INT64.test(id)) return id;
      return misfit(`its last segment ${quoted(id)} is not a decimal lease id`);
    },
    encode: (i: Instance) => storedHostPortOf("go-zero", i),
    decode: ({ key, appId, hostname }, raw) =>
      pipe(
        addrOfHostPort(key, raw),
        E.chain((addr) => {
          const draft = blankInstance(appId, hostname);
          draft.addrs = [addr];
          return finishInstance(key)(draft);
        }),
      ),
  };
};
