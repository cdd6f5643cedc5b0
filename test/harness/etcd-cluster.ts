import { join } from "node:path";
import { EtcdProcess, tlsCredentials, type EtcdClientOptions, type EtcdOptions } from "./etcd-process.js";
import { runEtcdctl, type EtcdctlOptions } from "./etcdctl.js";
import { freePorts } from "./ports.js";
import { trackResource, untrackResource } from "./registry.js";
import { startMembers, startOrDispose, withPortClashRetry } from "./start-members.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";
import { waitFor } from "./wait-for.js";

export type ClusterOptions = Omit<EtcdOptions, "name">;

let clusterSeq = 0;

/**
 * A static etcd cluster of loopback members. Each member is a full EtcdProcess handle, so a test
 * kills, restarts or pauses one member; the cluster owns the shared temp dir.
 */
export class EtcdCluster {
  constructor(
    readonly members: readonly EtcdProcess[],
    private readonly dir: string,
    private readonly options: ClusterOptions,
  ) {
    trackResource(this);
  }

  /** Client URLs of every member, running or not: what a client is configured with. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  member(index: number): EtcdProcess {
    const m = this.members[index];
    if (m === undefined) throw new Error(`cluster has ${this.members.length} members, no index ${index}`);
    return m;
  }

  /** `new Etcd3({ ...cluster.clientOptions() })`: all endpoints and, with TLS, the certs. */
  clientOptions(): EtcdClientOptions {
    return { hosts: this.endpoints, ...tlsCredentials(this.options.tls) };
  }

  /** The current raft leader among the running, unpaused members (waits out an election). */
  async leader(timeoutMs = 5000): Promise<EtcdProcess> {
    return waitFor(
      async () => {
        for (const m of this.members) {
          if (m.running && !m.paused && (await m.isLeader().catch(() => false))) return m;
        }
        return undefined;
      },
      { timeoutMs, message: "a cluster leader" },
    );
  }

  /** Waits until every running member reports healthy (e.g. after restarting one). */
  async waitHealthy(timeoutMs?: number): Promise<void> {
    await Promise.all(this.members.filter((m) => m.running).map((m) => m.waitHealthy(timeoutMs)));
  }

  /** etcdctl against all running members' endpoints (etcdctl picks any that answers). */
  etcdctl(args: readonly string[], options: EtcdctlOptions = {}): Promise<string> {
    const endpoints = options.endpoints ?? this.members.filter((m) => m.running).map((m) => m.endpoint);
    const credentials =
      options.user !== undefined ? { user: options.user, password: options.password } : this.rootCredentials;
    return runEtcdctl(endpoints, args, this.options.tls, credentials, options.timeoutMs);
  }

  private rootCredentials: { user: string; password: string } | undefined;

  /** Creates user root with `password`, enables auth; every member handle's etcdctl then uses root. */
  async enableAuth(password = "root-pw"): Promise<void> {
    await this.etcdctl(["user", "add", "root", `--new-user-password=${password}`]);
    await this.etcdctl(["user", "grant-role", "root", "root"]);
    await this.etcdctl(["auth", "enable"]);
    this.rootCredentials = { user: "root", password };
    for (const m of this.members) m.useRootCredentials(this.rootCredentials);
  }

  /**
   * Starts the given stopped members (default: every stopped one) together and waits until all are
   * healthy. Needed after losing quorum: a lone member's restart() would wait for a health it cannot
   * have until a second member is back.
   */
  async startMembers(
    members: readonly EtcdProcess[] = this.members.filter((m) => !m.running),
  ): Promise<void> {
    await startMembers(members);
  }

  /** SIGTERM every member (SIGKILL after the grace). */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  /** Kills every member and removes all data dirs. Idempotent. */
  async dispose(): Promise<void> {
    untrackResource(this);
    await Promise.all(this.members.map((m) => m.dispose()));
    removeTempDir(this.dir);
  }
}

/**
 * Starts `size` members together (a member cannot become healthy before a quorum is up) and waits
 * until all are healthy. The cluster token is unique, so members of two clusters never join up.
 */
export function startCluster(size = 3, options: ClusterOptions = {}): Promise<EtcdCluster> {
  return withPortClashRetry(async () => {
    const dir = makeTempDir(`cluster${size}`);
    const ports = await freePorts(size * 3);
    const names = Array.from({ length: size }, (_, i) => `c${i + 1}`);
    const port = (i: number): number => ports[i]!;
    const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${port(i * 3 + 1)}`).join(",");
    const clusterToken = `rxnaming-${process.pid}-${Date.now()}-${++clusterSeq}`;
    const members = names.map(
      (name, i) =>
        new EtcdProcess(
          {
            name,
            dataDir: join(dir, name),
            clientPort: port(i * 3),
            peerPort: port(i * 3 + 1),
            metricsPort: port(i * 3 + 2),
            initialCluster,
            clusterToken,
          },
          { ...options, name },
        ),
    );
    const cluster = new EtcdCluster(members, dir, options);
    await startOrDispose(members, [cluster]);
    return cluster;
  });
}
