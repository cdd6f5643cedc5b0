import { decodeInstance, encodeInstance, invalidOption, nameProblem } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";
import { oneSegmentAppKeys } from "./layout-support.js";

/**
 * Kratos v1's layout (`naming/etcd`), the default: keys `/<prefix>/<appid>/<hostname>`, values
 * Kratos v1's JSON (`naming.Instance`, field for field and in its order). The ZooKeeper backend
 * uses it too, with its root as the prefix: nodes `/<root>/<appid>/<hostname>`.
 *
 * An appid with "/" cannot be held: it would read back as another app's hostname.
 *
 * @example
 * kratosV1Layout("kratos_etcd").keyOf(instance, leaseId) // "/kratos_etcd/demo.service/host-1"
 */
export const kratosV1Layout = (prefix = "kratos_etcd"): KeyLayout => {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  const problem = trimmed
    .split("/")
    .map(nameProblem)
    .find((p) => p !== undefined);
  if (problem !== undefined) throw invalidOption("prefix", `${JSON.stringify(prefix)}: a segment ${problem}`);
  const root = `/${trimmed}/`;
  return {
    name: "kratos-v1",
    ...oneSegmentAppKeys(root, "kratos-v1", "hostname"),
    encode: encodeInstance,
    decode: (where, value) => decodeInstance(where)(value),
  };
};
