import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { etcdBinary } from "./binaries.js";
import { runEtcdctl, type EtcdctlOptions } from "./etcdctl.js";
import { httpGet, metricSum, parsePrometheus } from "./metrics.js";
import { freePorts } from "./ports.js";
import { startOrDispose, withPortClashRetry } from "./start-members.js";
import { trackResource, untrackResource } from "./registry.js";
import { ServerChild } from "./server-child.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";
import { sleep } from "./wait-for.js";

/** Server TLS for the client URL. Field names match makeTlsMaterial's result, so it can be passed as is. */
export interface EtcdTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA that signed the server cert: etcdctl and clientOptions() trust it; etcd trusts it for client certs. */
  readonly caFile: string;
  /** `--client-cert-auth`: etcd requires a client cert signed by caFile (default false). */
  readonly clientCertAuth?: boolean;
  /** The client cert etcdctl and clientOptions() present (needed with clientCertAuth). */
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

export interface EtcdOptions {
  /** Member name (default "n1"). */
  readonly name?: string;
  /** Appended to etcd's arguments, e.g. ["--auth-token-ttl=2"]. Later flags win in etcd. */
  readonly extraArgs?: readonly string[];
  /** Serve the client URL over TLS; the endpoint becomes https://localhost:PORT. */
  readonly tls?: EtcdTlsOptions;
  /** Deadline for /health after each start (default 15 s: slow CI, cold page cache). */
  readonly startTimeoutMs?: number;
  /** stop(): how long SIGTERM may take before SIGKILL (default 5 s). */
  readonly stopGraceMs?: number;
  /** `--heartbeat-interval=10 --election-timeout=100` (default true): elections and restarts in ~0.2 s. */
  readonly fastElection?: boolean;
  /** etcd's --log-level (default "warn": the stderr tail in errors stays readable). */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

/** What `new Etcd3(...)` needs to reach this etcd: spread it into the client options. */
export interface EtcdClientOptions {
  hosts: string[];
  credentials?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer };
}

/** The fixed identity of a member: ports and data dir survive restarts, so a restart is the same member. */
export interface MemberSpec {
  readonly name: string;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  /** `name=peerURL,...` of every member (just this one for a single etcd). */
  readonly initialCluster: string;
  readonly clusterToken: string;
}

export class EtcdProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  /** The client URL: http://127.0.0.1:PORT, or https://localhost:PORT with TLS (matches the cert SAN). */
  readonly endpoint: string;
  /** `127.0.0.1:PORT` of the client listener: the target for startProxy. */
  readonly hostPort: string;
  readonly peerUrl: string;
  /** Plain-HTTP /health and /metrics, also with TLS and client-cert auth, so probes need no certs. */
  readonly metricsUrl: string;

  private readonly listenClientUrl: string;
  private server: ServerChild | undefined;
  private isPaused = false;
  private rootCredentials: { user: string; password: string } | undefined;

  constructor(
    private readonly spec: MemberSpec,
    private readonly options: EtcdOptions = {},
    /** A temp dir this handle removes on dispose (undefined when a cluster owns the dir). */
    private readonly ownedDir?: string,
  ) {
    this.name = spec.name;
    this.dataDir = spec.dataDir;
    this.clientPort = spec.clientPort;
    this.peerPort = spec.peerPort;
    this.metricsPort = spec.metricsPort;
    const scheme = options.tls ? "https" : "http";
    this.endpoint = options.tls
      ? `https://localhost:${spec.clientPort}`
      : `http://127.0.0.1:${spec.clientPort}`;
    this.hostPort = `127.0.0.1:${spec.clientPort}`;
    this.peerUrl = `http://127.0.0.1:${spec.peerPort}`;
    this.metricsUrl = `http://127.0.0.1:${spec.metricsPort}`;
    this.listenClientUrl = `${scheme}://127.0.0.1:${spec.clientPort}`;
    trackResource(this);
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }
  get running(): boolean {
    return this.server?.running ?? false;
  }
  private get child(): ChildProcess | undefined {
    return this.server?.process;
  }
  private get exited(): Promise<void> {
    return this.server?.exited ?? Promise.resolve();
  }
  get paused(): boolean {
    return this.isPaused && this.running;
  }
  get tls(): EtcdTlsOptions | undefined {
    return this.options.tls;
  }

  /** The last ~16 KB etcd wrote (zap logs go to stderr), for error messages and debugging. */
  outputTail(): string {
    return this.server?.output ?? "";
  }

  private args(): string[] {
    const { tls, fastElection = true, logLevel = "warn", extraArgs = [] } = this.options;
    const s = this.spec;
    return [
      `--name=${s.name}`,
      `--data-dir=${s.dataDir}`,
      "--logger=zap",
      `--log-level=${logLevel}`,
      `--listen-client-urls=${this.listenClientUrl}`,
      `--advertise-client-urls=${this.endpoint}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--listen-metrics-urls=${this.metricsUrl}`,
      `--initial-cluster=${s.initialCluster}`,
      `--initial-cluster-token=${s.clusterToken}`,
      "--initial-cluster-state=new",
      ...(fastElection ? ["--heartbeat-interval=10", "--election-timeout=100"] : []),
      ...(tls ? [`--cert-file=${tls.certFile}`, `--key-file=${tls.keyFile}`] : []),
      ...(tls?.clientCertAuth ? ["--client-cert-auth", `--trusted-ca-file=${tls.caFile}`] : []),
      ...extraArgs,
    ];
  }

  /** Spawns etcd without waiting for health (a cluster spawns all members before waiting on any). */
  spawn(): void {
    if (this.running) throw new Error(`etcd ${this.name} is already running (pid ${this.child?.pid})`);
    this.isPaused = false;
    this.server = new ServerChild(etcdBinary(), this.args());
  }

  /** Resolves when GET /health says {"health":"true"}; fails fast if etcd exits, with its output tail. */
  waitHealthy(timeoutMs = this.options.startTimeoutMs ?? 15_000): Promise<void> {
    return this.pollHealth(timeoutMs, (status, health) => status === 200 && health === "true", "healthy");
  }

  /**
   * Resolves when etcd serves HTTP at all (healthy or not: a member without quorum answers 503). A
   * cluster starts its members one after another with this; see startCluster for why.
   */
  waitServing(timeoutMs = this.options.startTimeoutMs ?? 15_000): Promise<void> {
    return this.pollHealth(timeoutMs, (status) => status > 0, "serving");
  }

  private async pollHealth(
    timeoutMs: number,
    done: (status: number, health: unknown) => boolean,
    what: string,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last: string;
    for (;;) {
      const child = this.child;
      if (child === undefined || !this.running) {
        const how = child ? `exit code ${child.exitCode}, signal ${child.signalCode}` : "not started";
        throw new Error(
          `etcd ${this.name} is not running (${how}) while waiting until ${what}\n${this.tailForError()}`,
        );
      }
      try {
        const remaining = Math.max(50, Math.min(1000, deadline - performance.now()));
        const { status, body } = await httpGet(`${this.metricsUrl}/health`, remaining);
        if (done(status, parseHealth(body))) return;
        last = `HTTP ${status} ${body.trim()}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (performance.now() >= deadline) {
        throw new Error(
          `etcd ${this.name} not ${what} within ${timeoutMs} ms (last /health: ${last})\n${this.tailForError()}`,
        );
      }
      await sleep(25);
    }
  }

  private tailForError(): string {
    const tail = this.outputTail().trim().split("\n").slice(-20).join("\n");
    return `--- etcd ${this.name} output (tail) ---\n${tail || "(empty)"}`;
  }

  /** Starts etcd (again) on the same ports and data dir and waits for health. */
  async start(): Promise<void> {
    this.spawn();
    try {
      await this.waitHealthy();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Stops (SIGTERM, SIGKILL after the grace) if running, then starts on the same data dir and ports. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Graceful stop: SIGTERM, then SIGKILL if etcd is still there after stopGraceMs. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    if (this.isPaused) this.resume(); // a stopped process does not act on SIGTERM until continued
    child.kill("SIGTERM");
    const grace = this.options.stopGraceMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
    ]);
    clearTimeout(timer); // a pending grace timer would keep a script that is done alive for 5 s
    if (timedOut) await this.kill();
  }

  /** SIGKILL (a crash: no clean shutdown, WAL as it is) and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child !== undefined && this.running) child.kill("SIGKILL");
    await this.exited;
    this.isPaused = false;
  }

  /** SIGSTOP: a hung server. TCP connections stay open and the kernel still accepts new ones. */
  pause(): void {
    if (!this.running) throw new Error(`etcd ${this.name} is not running`);
    this.child?.kill("SIGSTOP");
    this.isPaused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.running) this.child?.kill("SIGCONT");
    this.isPaused = false;
  }

  /** Kills etcd and removes its data dir. Idempotent. */
  async dispose(): Promise<void> {
    untrackResource(this);
    await this.kill();
    if (this.ownedDir !== undefined) removeTempDir(this.ownedDir);
  }

  /** Options for `new Etcd3({ ...etcd.clientOptions(), ... })`: the endpoint and, with TLS, the certs. */
  clientOptions(): EtcdClientOptions {
    return { hosts: [this.endpoint], ...tlsCredentials(this.options.tls) };
  }

  /**
   * Runs etcdctl (API v3) against this member and returns its stdout. Throws with stderr on a non-zero
   * exit. TLS flags are added from the tls options; user/password from the call, else from enableAuth().
   */
  etcdctl(args: readonly string[], options: EtcdctlOptions = {}): Promise<string> {
    const endpoints = options.endpoints ?? [this.endpoint];
    const credentials =
      options.user !== undefined ? { user: options.user, password: options.password } : this.rootCredentials;
    return runEtcdctl(endpoints, args, this.options.tls, credentials, options.timeoutMs);
  }

  /**
   * Creates user root (role root) with `password` and turns auth on. Afterwards etcdctl calls on this
   * handle authenticate as root unless given another user.
   */
  async enableAuth(password = "root-pw"): Promise<void> {
    await this.etcdctl(["user", "add", "root", `--new-user-password=${password}`]);
    await this.etcdctl(["user", "grant-role", "root", "root"]);
    await this.etcdctl(["auth", "enable"]);
    this.rootCredentials = { user: "root", password };
  }

  /** For a cluster: all members share the auth state, so each handle needs the root password. */
  useRootCredentials(credentials: { user: string; password: string } | undefined): void {
    this.rootCredentials = credentials;
  }

  /** GET /metrics, parsed: series → value (see parsePrometheus). */
  async metrics(): Promise<Map<string, number>> {
    const { status, body } = await httpGet(`${this.metricsUrl}/metrics`, 2000);
    if (status !== 200) throw new Error(`etcd ${this.name} /metrics: HTTP ${status}`);
    return parsePrometheus(body);
  }

  /** Watchers open on this member (`etcd_debugging_mvcc_watcher_total`). */
  async watcherCount(): Promise<number> {
    return metricSum(await this.metrics(), "etcd_debugging_mvcc_watcher_total");
  }

  /**
   * Lease keep-alives this member has granted since it started (`etcd_debugging_lease_renewed_total`;
   * counted where the lease is renewed, the leader in a cluster): a keep-alive round that landed.
   */
  async leaseRenewals(): Promise<number> {
    return metricSum(await this.metrics(), "etcd_debugging_lease_renewed_total");
  }

  /** gRPC calls of `method` ("Txn", "LeaseGrant", ...) this member has started and finished handling. */
  async grpcCalls(method: string): Promise<{ started: number; handled: number }> {
    const metrics = await this.metrics();
    const sum = (name: string): number => {
      let total = 0;
      for (const [key, n] of metrics)
        if (key.startsWith(`${name}{`) && key.includes(`grpc_method="${method}"`)) total += n;
      return total;
    };
    return { started: sum("grpc_server_started_total"), handled: sum("grpc_server_handled_total") };
  }

  /** gRPC watch streams open on this member (`etcd_debugging_mvcc_watch_stream_total`). */
  async watchStreamCount(): Promise<number> {
    return metricSum(await this.metrics(), "etcd_debugging_mvcc_watch_stream_total");
  }

  /** Whether this member is the raft leader now (`etcd_server_is_leader`). */
  async isLeader(): Promise<boolean> {
    return metricSum(await this.metrics(), "etcd_server_is_leader") === 1;
  }
}

function parseHealth(body: string): unknown {
  try {
    return (JSON.parse(body) as { health?: unknown }).health;
  } catch {
    return undefined;
  }
}

export function tlsCredentials(tls: EtcdTlsOptions | undefined): Pick<EtcdClientOptions, "credentials"> {
  if (tls === undefined) return {};
  return {
    credentials: {
      rootCertificate: readFileSync(tls.caFile),
      ...(tls.clientCertFile !== undefined && tls.clientKeyFile !== undefined
        ? { certChain: readFileSync(tls.clientCertFile), privateKey: readFileSync(tls.clientKeyFile) }
        : {}),
    },
  };
}

/**
 * Starts a single-member etcd on free loopback ports with a fresh data dir and waits for health.
 * Registered for disposeAll() and for the exit-time SIGKILL.
 */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdProcess> {
  return withPortClashRetry(async () => {
    const etcd = await prepareEtcd(options);
    await startOrDispose([etcd], [etcd]);
    return etcd;
  });
}

/**
 * Like startEtcd but does not start it: ports and data dir are reserved in the handle, and `start()`
 * brings it up later (to test clients that begin while etcd is down). The ports are only known to be
 * free, not held, until then.
 */
export async function prepareEtcd(options: EtcdOptions = {}): Promise<EtcdProcess> {
  etcdBinary(); // fail here, with the ETCD_BIN hint, rather than on spawn
  const name = options.name ?? "n1";
  const dir = makeTempDir(name);
  const [clientPort, peerPort, metricsPort] = (await freePorts(3)) as [number, number, number];
  const spec: MemberSpec = {
    name,
    dataDir: join(dir, name),
    clientPort,
    peerPort,
    metricsPort,
    initialCluster: `${name}=http://127.0.0.1:${peerPort}`,
    clusterToken: `rxnaming-${process.pid}-${clientPort}`,
  };
  return new EtcdProcess(spec, options, dir);
}
