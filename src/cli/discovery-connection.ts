import { discoveryNaming } from "../index.js";
import { oneLine, usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import { ownClientsConnection, type NamingConnection, type NamingUse } from "./naming-connection.js";

/**
 * bilibili discovery (`--discovery <nodes>`): the nodes comma-separated; the zone, environment
 * and region from `ZONE`, `DEPLOY_ENV` and `REGION`, as Kratos v1 services read them (default
 * sh001, dev, sh). Every naming has its own client. The app's first read within `--dial-timeout`
 * is the probe.
 */
export const discoveryConnection = async (
  nodes: string,
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.layout !== "kratos-v1" || options.prefix !== undefined) {
    throw usageError("--layout and --prefix are for etcd and ZooKeeper; discovery keeps instances by appid");
  }
  const dial = {
    kind: "discovery",
    where: nodes,
    timeoutMs: options.dialTimeout,
    hint: "is it running, and is --discovery (or DISCOVERY_NODES) right?",
  };
  return ownClientsConnection("discovery", dial, use.appId, () => {
    try {
      return discoveryNaming({
        nodes: nodes.split(",").map((n) => n.trim().replace(/^https?:\/\//, "")),
        zone: process.env.ZONE || "sh001",
        env: process.env.DEPLOY_ENV || "dev",
        region: process.env.REGION || "sh",
        fetchTimeoutMs: options.dialTimeout,
        requestTimeoutMs: options.dialTimeout,
      });
    } catch (e) {
      throw usageError(`--discovery "${nodes}": ${oneLine(e)}`);
    }
  });
};
