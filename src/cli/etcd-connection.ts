import { Etcd3, type IOptions } from "etcd3";
import { etcdClientOptions } from "../index.js";
import { CliError, usageError } from "./cli-error.js";
import type { ConnectionOptions } from "./connection-options.js";
import { explainEtcdError, NoAnswer, type EtcdTarget } from "./etcd-errors.js";
import { promptPassword } from "./password-prompt.js";
import { readPem } from "./pem-file.js";

/** etcdctl's default endpoint. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:2379";

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
}

/** Makes the etcd client the options describe (TLS, user); connects nothing yet. */
export const etcdConnection = async (
  options: ConnectionOptions,
  endpoints: string,
): Promise<EtcdConnection> => {
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
  return {
    client: new Etcd3(etcdClientOptions(clientOptions)),
    target: { endpoints: hosts, user: auth?.username, dialTimeoutMs: options.dialTimeout },
  };
};

/**
 * Reads one key of `keyPrefix` within the dial timeout: etcd is reachable, the user may log in and
 * may read there. Why a read: the `etcd3` client connects lazily and has no dial timeout of its own
 * (docs/cli.md#time-outs), so a command would otherwise wait for etcd in silence. The timer is the
 * deadline: the client may retry a call past its own.
 */
export const probeEtcd = async (connection: EtcdConnection, keyPrefix: string): Promise<void> => {
  const { client, target } = connection;
  const ms = target.dialTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client
        .getAll()
        .prefix(keyPrefix)
        .limit(1)
        .options({ deadline: new Date(Date.now() + ms) })
        .keys(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new NoAnswer(ms)), ms);
      }),
    ]);
  } catch (e) {
    throw new CliError(explainEtcdError(e, { ...target, keyPrefix }));
  } finally {
    clearTimeout(timer);
  }
};
