import { Etcd3, type IOptions } from "etcd3";
import { etcdClientOptions } from "../index.js";
import { usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import { etcdHint, explainEtcdError, type EtcdTarget } from "./etcd-errors.js";
import { promptPassword } from "./password-prompt.js";
import { readPem } from "./pem-file.js";
import { probedConnection, withinDialTimeout, type Probe } from "./probed-connection.js";

/** etcdctl's default endpoint. */
const DEFAULT_ENDPOINT = "http://127.0.0.1:2379";

/** `--endpoints` as URLs: a bare host:port gets http:// (https:// with TLS options), as etcdctl. */
export const parseEndpoints = (value: string, tls: boolean): string[] => {
  const endpoints = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (endpoints.length === 0)
    throw usageError("--endpoints is empty: give URLs such as http://127.0.0.1:2379");
  return endpoints.map((raw) => {
    const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `${tls ? "https" : "http"}://${raw}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw usageError(`--endpoints: "${raw}" is not a URL such as http://127.0.0.1:2379`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw usageError(`--endpoints: "${raw}" must be http:// or https://`);
    }
    // `hostname` keeps an IPv6 address in its brackets.
    return `${url.protocol}//${url.hostname}:${url.port || "2379"}`;
  });
};

const credentialsOf = async (
  user: string | undefined,
): Promise<{ username: string; password: string } | undefined> => {
  if (user === undefined) return undefined;
  const colon = user.indexOf(":");
  const username = colon < 0 ? user : user.slice(0, colon);
  if (username === "") throw usageError("--user: the user name is empty");
  const password =
    colon >= 0
      ? user.slice(colon + 1)
      : (process.env["ETCDCTL_PASSWORD"] ?? (await promptPassword(`Password for etcd user ${username}: `)));
  return { username, password };
};

/** What a command needs of etcd: the client, and how to explain its errors. */
export interface EtcdConnection {
  readonly client: Etcd3;
  readonly target: EtcdTarget;
  close(): void;
}

/** Makes the etcd client the options describe (TLS, user); connects nothing yet. */
const etcdConnection = async (options: ConnectionOptions, endpoints: string): Promise<EtcdConnection> => {
  const cert = readPem("--cert", options.cert);
  const key = readPem("--key", options.key);
  const ca = readPem("--cacert", options.cacert);
  if ((cert === undefined) !== (key === undefined))
    throw usageError("--cert and --key go together: give both");
  const hosts = parseEndpoints(endpoints, ca !== undefined || cert !== undefined);
  if ((ca !== undefined || cert !== undefined) && hosts.some((h) => h.startsWith("http:"))) {
    throw usageError("TLS options need https:// endpoints");
  }
  const auth = await credentialsOf(options.user);
  const deadline = (): { deadline: Date } => ({ deadline: new Date(Date.now() + options.dialTimeout) });
  const clientOptions: IOptions = {
    hosts,
    ...(ca !== undefined || cert !== undefined
      ? {
          credentials: {
            // No --cacert: grpc-js takes null for the system's root certificates (etcd3's type says Buffer).
            rootCertificate: ca ?? (null as unknown as Buffer),
            ...(key !== undefined && { privateKey: key }),
            ...(cert !== undefined && { certChain: cert }),
          },
        }
      : {}),
    // The authentication call is made before the first request: give it a deadline too.
    ...(auth && { auth: { ...auth, callOptions: deadline } }),
  };
  const client = new Etcd3(etcdClientOptions(clientOptions));
  return {
    client,
    target: { endpoints: hosts, user: auth?.username, dialTimeoutMs: options.dialTimeout },
    close: () => client.close(),
  };
};

/**
 * Reads one key of `keyPrefix`: etcd is reachable, the user may log in and may read there. The
 * `etcd3` client connects lazily, so this read is what dials.
 */
const etcdProbe = ({ client, target }: EtcdConnection, keyPrefix: string): Probe => ({
  kind: "etcd",
  where: target.endpoints.join(","),
  timeoutMs: target.dialTimeoutMs,
  hint: etcdHint(target),
  call: () =>
    client
      .getAll()
      .prefix(keyPrefix)
      .limit(1)
      .options({ deadline: new Date(Date.now() + target.dialTimeoutMs) })
      .keys(),
  explain: (e) => explainEtcdError(e, { ...target, keyPrefix }),
});

/** The etcd client the options describe, once it has read a key of `keyPrefix` within --dial-timeout. */
export const probedEtcd = (options: ConnectionOptions, keyPrefix: string): Promise<EtcdConnection> =>
  probedConnection(
    () => etcdConnection(options, options.endpoints ?? DEFAULT_ENDPOINT),
    (connection) => etcdProbe(connection, keyPrefix),
  );

/** Whether etcd answers that read now, within --dial-timeout. */
export const etcdAnswers = (connection: EtcdConnection, keyPrefix: string): Promise<boolean> => {
  const probe = etcdProbe(connection, keyPrefix);
  return withinDialTimeout(probe.timeoutMs, () => probe.call()).then(
    () => true,
    () => false,
  );
};
