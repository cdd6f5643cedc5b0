import { layoutNamed, type KeyLayout } from "../layouts.js";
import { oneLine, usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import { discoveryConnection } from "./discovery-connection.js";
import { etcdNamingConnection } from "./etcd-naming-connection.js";
import { memoryConnection } from "./memory-connection.js";
import type { NamingConnection, NamingUse } from "./naming-connection.js";
import { zookeeperConnection } from "./zookeeper-connection.js";

/**
 * The Naming the options select: ZooKeeper with `--zookeeper`, discovery with `--discovery`; etcd
 * when `--endpoints` (or ETCD_ENDPOINTS) is given, or when the command needs a real backend (then
 * at etcdctl's default, http://127.0.0.1:2379); the embedded in-memory store otherwise. The one
 * place that chooses a backend: a new one is a new branch here. A backend that does not answer
 * within `--dial-timeout`, or denies the app's keys, fails with a CliError saying what to do.
 */
export const namingFromOptions = async (
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.zookeeper !== undefined) return zookeeperConnection(options.zookeeper, options, use);
  if (options.discovery !== undefined) return discoveryConnection(options.discovery, options, use);
  let layout: KeyLayout;
  try {
    layout = layoutNamed(options.layout, options.prefix);
  } catch (e) {
    throw usageError(`--prefix "${options.prefix ?? ""}" is not a key prefix: ${oneLine(e)}`);
  }
  const appProblem = layout.appIdProblem(use.appId);
  if (appProblem !== undefined) throw usageError(`appid "${use.appId}" ${appProblem}: try another --layout`);
  const keys = {
    layout: options.layout,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(use.ttlSeconds !== undefined && { ttlSeconds: use.ttlSeconds }),
  };
  return options.endpoints === undefined && use.embedded === true
    ? memoryConnection(keys)
    : etcdNamingConnection(options, keys, layout.appPrefix(use.appId));
};
