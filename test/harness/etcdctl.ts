import { execFile } from "node:child_process";
import { etcdctlBinary } from "./binaries.js";
import type { EtcdTlsOptions } from "./etcd-process.js";

/** How etcdctl authenticates; by default the root credentials set by enableAuth(), if any. */
export interface EtcdctlOptions {
  readonly user?: string;
  readonly password?: string;
  /** Defaults to this member's endpoint (a cluster passes all of them). */
  readonly endpoints?: readonly string[];
  /** Kill etcdctl after this long (default 10 s): a call to a paused etcd must not hang a test. */
  readonly timeoutMs?: number;
}

export function runEtcdctl(
  endpoints: readonly string[],
  args: readonly string[],
  tls: EtcdTlsOptions | undefined,
  credentials: { user: string; password?: string | undefined } | undefined,
  timeoutMs = 10_000,
): Promise<string> {
  const flags = [
    `--endpoints=${endpoints.join(",")}`,
    ...(tls ? [`--cacert=${tls.caFile}`] : []),
    ...(tls?.clientCertFile !== undefined && tls.clientKeyFile !== undefined
      ? [`--cert=${tls.clientCertFile}`, `--key=${tls.clientKeyFile}`]
      : []),
    // --password keeps a password containing ':' intact (--user=name:pw would split it).
    ...(credentials ? [`--user=${credentials.user}`] : []),
    ...(credentials?.password !== undefined ? [`--password=${credentials.password}`] : []),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      etcdctlBinary(),
      [...flags, ...args],
      { env: { ...process.env, ETCDCTL_API: "3" }, timeout: timeoutMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`etcdctl ${args.join(" ")} failed: ${stderr.trim() || error.message}`, {
              cause: error,
            }),
          );
        } else resolve(stdout);
      },
    );
  });
}
