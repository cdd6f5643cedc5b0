import { decodeInstanceAtCheckedKey, encodeInstance, invalidOption, nameProblem } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";

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
    appIdProblem: (appId) =>
      appId.includes("/")
        ? `must not contain "/" in the kratos-v1 layout (${root}<appid>/<hostname>)`
        : undefined,
    appPrefix: (appId) => `${root}${appId}/`,
    keyOf: (instance) => `${root}${instance.appId}/${instance.hostname}`,
    hostnameOf: (appId, key) => {
      // Per key of a cold start: compare in place rather than build the app's prefix again.
      const at = root.length + appId.length;
      if (!(key.startsWith(root) && key.startsWith(appId, root.length) && key[at] === "/")) {
        return { problem: `it is not under ${root}${appId}/` };
      }
      const hostname = key.slice(at + 1);
      const bad = nameProblem(hostname);
      return bad === undefined ? hostname : { problem: `hostname ${bad}` };
    },
    encode: encodeInstance,
    // Keys reach decode through hostnameOf, which checked the hostname; build() checked the appid.
    decode: (where, value) => decodeInstanceAtCheckedKey(where)(value),
  };
};
