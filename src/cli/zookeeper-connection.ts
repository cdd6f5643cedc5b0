import { zookeeperNaming } from "../index.js";
import { layoutNamed, type KeyLayout } from "../layouts.js";
import { oneLine, usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import { ownClientsConnection, type NamingConnection, type NamingUse } from "./naming-connection.js";

/**
 * ZooKeeper (`--zookeeper`): Kratos v1's layout under the root (`--prefix`, default "/kratos"),
 * sessions for leases. Each naming owns its client and session. The app's first read within
 * `--dial-timeout` is the probe.
 */
export const zookeeperConnection = async (
  servers: string,
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.layout !== "kratos-v1") {
    throw usageError(`--layout ${options.layout} is for etcd; ZooKeeper keeps Kratos v1's layout`);
  }
  const root = options.prefix ?? "/kratos";
  let layout: KeyLayout;
  try {
    layout = layoutNamed("kratos-v1", root);
  } catch (e) {
    throw usageError(`--prefix "${root}" is not a ZooKeeper root: ${oneLine(e)}`);
  }
  const appProblem = layout.appIdProblem(use.appId);
  if (appProblem !== undefined) throw usageError(`appid "${use.appId}" ${appProblem}`);
  const dial = {
    kind: "ZooKeeper",
    where: servers,
    timeoutMs: options.dialTimeout,
    hint: "is it running, and is --zookeeper (or ZOOKEEPER_SERVERS) right?",
  };
  return ownClientsConnection("zookeeper", dial, use.appId, () => {
    try {
      return zookeeperNaming({
        servers,
        root,
        fetchTimeoutMs: options.dialTimeout,
        ...(use.sessionTimeoutMs !== undefined && { sessionTimeoutMs: use.sessionTimeoutMs }),
      });
    } catch (e) {
      throw usageError(`--zookeeper "${servers}": ${oneLine(e)}`);
    }
  });
};
