import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { freePorts } from "./ports.js";
import { trackResource, untrackResource } from "./registry.js";
import { ServerChild } from "./server-child.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";
import { sleep } from "./wait-for.js";

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * bilibili's discovery server: $DISCOVERY_BIN, else `discovery` on PATH, else
 * `../shared/bin/discovery` beside the repository; undefined when there is none.
 */
export const discoveryBinary = (): string | undefined => {
  const fromEnv = process.env.DISCOVERY_BIN;
  if (fromEnv !== undefined && fromEnv !== "") return executable(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && executable(join(dir, "discovery"))) return join(dir, "discovery");
  }
  const shared = resolve(import.meta.dirname, "../../../shared/bin/discovery");
  return executable(shared) ? shared : undefined;
};

/** The line a skipped suite prints: how to get the server. */
export const DISCOVERY_MISSING =
  "discovery server not found: these tests are skipped. Get it with " +
  "`go install github.com/bilibili/discovery/cmd/discovery@v1.2.0` (then on PATH) or set DISCOVERY_BIN";

/**
 * One discovery server on a loopback port, with its config in a temp dir. Its state is in memory:
 * a kill forgets every instance, and `start()` again comes back empty on the same port.
 */
export class DiscoveryProcess {
  readonly port: number;
  /** `127.0.0.1:PORT`, as a naming's `nodes` lists it. */
  readonly node: string;
  private server: ServerChild | undefined;
  /** Every node of the cluster, itself included. */
  peers: readonly string[];

  constructor(
    port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {
    this.port = port;
    this.node = `127.0.0.1:${port}`;
    this.peers = [this.node];
    trackResource(this);
  }

  get running(): boolean {
    return this.server?.running ?? false;
  }

  get log(): string {
    return this.server?.output ?? "";
  }

  /** `http://127.0.0.1:PORT/discovery`. */
  get base(): string {
    return `http://${this.node}/discovery`;
  }

  private writeConfig(): string {
    const config = [
      `nodes = [${this.peers.map((p) => JSON.stringify(p)).join(", ")}]`,
      "enableprotect = false",
      "[env]",
      'region = "sh"',
      'zone = "sh001"',
      `host = "discovery-${this.port}"`,
      'DeployEnv = "dev"',
      "[httpServer]",
      `addr = "${this.node}"`,
      'timeout = "40s"',
      "[httpClient]",
      'dial = "1s"',
      'keepAlive = "120s"',
      'timeout = "40s"',
      "[log]",
      "stdout = true",
    ];
    // The server reads only a file of this name.
    const dir = join(this.dir, String(this.port));
    makeDir(dir);
    const file = join(dir, "discovery.toml");
    writeFileSync(file, `${config.join("\n")}\n`);
    return file;
  }

  spawn(): void {
    if (this.running) return;
    const binary = discoveryBinary();
    if (binary === undefined) throw new Error(DISCOVERY_MISSING);
    this.server = new ServerChild(binary, ["-conf", this.writeConfig()]);
  }

  /** The nodes this server lists (`/discovery/nodes`), or undefined while it does not answer. */
  async nodes(): Promise<string[] | undefined> {
    try {
      const response = await fetch(`${this.base}/nodes`, { signal: AbortSignal.timeout(500) });
      const body = (await response.json()) as { code: number; data?: { addr: string }[] };
      return body.code === 0 ? (body.data ?? []).map((n) => n.addr) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Resolves when it answers `/discovery/nodes`; fails fast if it exits. */
  async waitReady(timeoutMs = 15_000): Promise<void> {
    await this.server?.waitReady(
      `discovery on ${this.node}`,
      async () => (await this.nodes()) !== undefined,
      timeoutMs,
      50,
    );
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  /** SIGKILL, as a crash: everything it held is gone. */
  async kill(): Promise<void> {
    await this.server?.kill();
  }

  /** SIGSTOP: it hangs with its sockets open. */
  pause(): void {
    this.server?.signal("SIGSTOP");
  }

  resume(): void {
    this.server?.signal("SIGCONT");
  }

  async dispose(): Promise<void> {
    untrackResource(this);
    this.resume();
    await this.kill();
    if (this.ownsDir) removeTempDir(this.dir);
  }
}

const makeDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true });
};

/** Starts one discovery server on a free port; ready when it answers. */
export async function startDiscovery(): Promise<DiscoveryProcess> {
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    const server = new DiscoveryProcess(port!, makeTempDir("discovery"), true);
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.dispose();
      if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
    }
  }
}

/** A cluster of discovery servers listing one another. */
export class DiscoveryCluster {
  constructor(
    readonly servers: readonly DiscoveryProcess[],
    private readonly dir: string,
  ) {
    trackResource(this);
  }

  get nodes(): string[] {
    return this.servers.map((s) => s.node);
  }

  /** Waits until every running member lists every member. */
  async waitJoined(timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const all = this.nodes.sort().join(",");
    for (;;) {
      const views = await Promise.all(this.servers.filter((s) => s.running).map((s) => s.nodes()));
      if (views.every((v) => v !== undefined && [...v].sort().join(",") === all)) return;
      if (performance.now() > deadline) {
        throw new Error(`discovery cluster not joined after ${timeoutMs} ms: ${JSON.stringify(views)}`);
      }
      await sleep(100);
    }
  }

  async dispose(): Promise<void> {
    untrackResource(this);
    await Promise.all(this.servers.map((s) => s.dispose()));
    removeTempDir(this.dir);
  }
}

/**
 * Starts `size` servers that list one another, one at a time (members started together can stay
 * split for good: a server replicates only to the peers it has seen register), and waits until
 * every one lists all.
 */
export async function startDiscoveryCluster(size = 3): Promise<DiscoveryCluster> {
  const ports = await freePorts(size);
  const dir = makeTempDir("discovery-cluster");
  const servers = ports.map((port) => new DiscoveryProcess(port, dir, false));
  const peers = servers.map((s) => s.node);
  for (const server of servers) server.peers = peers;
  const cluster = new DiscoveryCluster(servers, dir);
  for (const server of servers) await server.start();
  await cluster.waitJoined();
  return cluster;
}
