import * as E from "fp-ts/lib/Either.js";
import { NamingError } from "../model/index.js";
import type { BuildOptions } from "../operators/index.js";

/** What a target asks for: the app and the BuildOptions of warden's query. */
export interface Target {
  readonly appId: string;
  readonly buildOptions: BuildOptions;
}

const badTarget = (target: string, reason: string): NamingError =>
  new NamingError("Decode", `cannot decode gRPC target ${target}: ${reason}`, { key: target });

const KNOWN = new Set(["zone", "cluster", "subset"]);

/**
 * Reads the path of a target `<scheme>:///<appid>?zone=Z&cluster=C&cluster=C2&subset=N` (an
 * authority, as in warden's `discovery://default/<appid>`, is allowed and ignored) into the app
 * and its BuildOptions, the query as warden reads it:
 * - `zone`: preferred while it has an instance, else all zones (`BuildOptions.zone`);
 * - `cluster` (repeatable): keep instances whose `metadata.cluster` is one of them;
 * - `subset=N`: a deterministic subset of N instances for `clientId`.
 * Anything else (no appid, an unknown key, a bad number) is a `Decode` error naming the target.
 *
 * @example
 * parseTarget("etcd:///demo.app?zone=sh001&subset=50", "etcd:///demo.app?zone=sh001&subset=50", "host-1")
 * // right({ appId: "demo.app", buildOptions: { zone: "sh001", subset: { size: 50, clientId: "host-1" } } })
 */
export const parseTarget = (
  target: string,
  path: string,
  clientId: string,
): E.Either<NamingError, Target> => {
  const q = path.indexOf("?");
  const encoded = (q === -1 ? path : path.slice(0, q)).replace(/^\/+/, "");
  let appId: string;
  try {
    appId = decodeURIComponent(encoded);
  } catch {
    return E.left(badTarget(target, `the appid ${JSON.stringify(encoded)} has malformed percent-encoding`));
  }
  if (appId === "") return E.left(badTarget(target, "no appid (expected <scheme>:///<appid>)"));
  const query = new URLSearchParams(q === -1 ? "" : path.slice(q + 1));
  const unknown = [...new Set(query.keys())].filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    return E.left(
      badTarget(target, `unknown query key ${unknown.join(", ")} (known: zone, cluster, subset)`),
    );
  }
  const zones = query.getAll("zone");
  if (zones.length > 1 || zones[0] === "")
    return E.left(badTarget(target, "zone must be given once, not empty"));
  const clusters = query.getAll("cluster");
  if (clusters.includes("")) return E.left(badTarget(target, "a cluster must not be empty"));
  const subsets = query.getAll("subset");
  const size = Number(subsets[0]);
  if (subsets.length > 1 || (subsets.length === 1 && !(/^\d+$/.test(subsets[0]!) && size >= 1))) {
    return E.left(badTarget(target, `subset must be one whole number >= 1, got ${subsets.join(", ")}`));
  }
  return E.right({
    appId,
    buildOptions: {
      ...(zones[0] !== undefined && { zone: zones[0] }),
      ...(clusters.length > 0 && { filter: { cluster: clusters } }),
      ...(subsets.length === 1 && { subset: { size, clientId } }),
    },
  });
};
