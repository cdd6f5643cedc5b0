import { etcdNaming } from "../index.js";
import type { ConnectionOptions } from "./connection-options.js";
import { etcdAnswers, probedEtcd } from "./etcd-connection.js";
import { explainEtcdError } from "./etcd-errors.js";
import { ownedNamings, type KeyOptions, type NamingConnection } from "./naming-connection.js";

/**
 * etcd, once it has answered a read of the app's keys within `--dial-timeout`: every naming of
 * the connection shares its client.
 */
export const etcdNamingConnection = async (
  options: ConnectionOptions,
  keys: KeyOptions,
  appPrefix: string,
): Promise<NamingConnection> => {
  const etcd = await probedEtcd(options, appPrefix);
  const namings = ownedNamings(() => etcdNaming(etcd.client, keys));
  return {
    where: `etcd ${etcd.target.endpoints.join(",")}`,
    naming: namings.make(),
    backend: { kind: "etcd", another: namings.make, etcd },
    explain: (error, about) => explainEtcdError(error, { ...etcd.target, keyPrefix: about }),
    answers: () => etcdAnswers(etcd, appPrefix),
    close: async () => {
      // The namings first: they cancel their watches and revoke their leases over the client.
      await namings.close();
      etcd.close();
    },
  };
};
