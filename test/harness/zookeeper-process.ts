import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePorts } from "./ports.js";
import { trackResource, untrackResource } from "./registry.js";
import { ServerChild } from "./server-child.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";

/** Debian's `zookeeper` package puts the server here; ZOOKEEPER_JAR overrides it. */
export const zookeeperJar = (): string => {
  const jar = process.env.ZOOKEEPER_JAR ?? "/usr/share/java/zookeeper.jar";
  if (!existsSync(jar)) {
    throw new Error(`ZooKeeper not found at ${jar}: apt-get install zookeeper, or set ZOOKEEPER_JAR`);
  }
  return jar;
};

/** One ZooKeeper server's fixed identity: its ports and data dir survive restarts. */
interface ServerSpec {
  readonly id: number;
  readonly dir: string;
  readonly clientPort: number;
  /** `server.N=...` lines of the ensemble; empty for a standalone server. */
  readonly quorum: readonly string[];
  /** More zoo.cfg lines; ZooKeeper makes a key it does not know the system property `zookeeper.<key>`. */
  readonly config?: readonly string[];
}

/**
 * Sends a four-letter word ("srvr", "cons", "ruok") over a plain socket and resolves with the
 * answer; rejects when the server does not answer within `timeoutMs`.
 */
export const fourLetterWord = (hostPort: string, word: string, timeoutMs = 1_000): Promise<string> =>
  new Promise((resolve, reject) => {
    const [host, port] = hostPort.split(":");
    const socket = connect({ host: host!, port: Number(port) });
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word} on ${hostPort}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(word));
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });

/**
 * A ZooKeeper server (QuorumPeerMain) in the foreground, on a free loopback port with its own temp
 * data dir (docs/zookeeper.md#running-zookeeper-for-the-tests): tickTime 500 ms, sessions of 1 to 60 s, every four-letter word
 * allowed. Ready when `srvr` shows a `Mode:` (`ruok` answers before it serves).
 */
export class ZooKeeperProcess {
  readonly id: number;
  readonly dir: string;
  readonly clientPort: number;
  /** `127.0.0.1:PORT`: a connection string of this server alone, and the target for startProxy. */
  readonly hostPort: string;
  private server: ServerChild | undefined;

  constructor(
    private readonly spec: ServerSpec,
    private readonly ownsDir: boolean,
  ) {
    this.id = spec.id;
    this.dir = spec.dir;
    this.clientPort = spec.clientPort;
    this.hostPort = `127.0.0.1:${spec.clientPort}`;
    this.writeConfig();
    trackResource(this);
  }

  /** The server's zoo.cfg; rewritten on every start, so a test may change nothing but the data dir. */
  get configFile(): string {
    return join(this.dir, "zoo.cfg");
  }

  get dataDir(): string {
    return join(this.dir, "data");
  }

  get running(): boolean {
    return this.server?.running ?? false;
  }

  /** The last ~16 KB the server wrote, for error messages. */
  get log(): string {
    return this.server?.output ?? "";
  }

  private writeConfig(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const lines = [
      "tickTime=500",
      "initLimit=10",
      "syncLimit=5",
      "minSessionTimeout=1000",
      "maxSessionTimeout=60000",
      `dataDir=${this.dataDir}`,
      "clientPortAddress=127.0.0.1",
      `clientPort=${this.clientPort}`,
      "admin.enableServer=false",
      "4lw.commands.whitelist=*",
      "maxClientCnxns=0",
      ...this.spec.quorum,
      ...(this.spec.config ?? []),
    ];
    writeFileSync(this.configFile, `${lines.join("\n")}\n`);
    if (this.spec.quorum.length > 0) writeFileSync(join(this.dataDir, "myid"), `${this.spec.id}\n`);
  }

  /** Spawns the server without waiting for it (an ensemble spawns all before waiting on any). */
  spawn(): void {
    if (this.running) return;
    this.writeConfig();
    this.server = new ServerChild("java", [
      "-Xms32m",
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-cp",
      `${zookeeperJar()}:/usr/share/java/slf4j-simple.jar`,
      "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      this.configFile,
    ]);
  }

  /** `srvr`'s `Mode:` line ("standalone", "leader", "follower"), or undefined while not serving. */
  async mode(): Promise<string | undefined> {
    try {
      return /Mode: (\w+)/.exec(await fourLetterWord(this.hostPort, "srvr", 500))?.[1];
    } catch {
      return undefined;
    }
  }

  /** Resolves when the server serves (`srvr` shows a Mode); fails fast if it exits. */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    await this.server?.waitReady(
      `ZooKeeper ${this.id} on ${this.hostPort}`,
      async () => (await this.mode()) !== undefined,
      timeoutMs,
      100,
    );
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitServing();
  }

  /** SIGKILL, as a crash: nothing is flushed, no session is closed. */
  async kill(): Promise<void> {
    await this.server?.kill();
  }

  /** SIGSTOP: the JVM hangs, its sockets stay open, and what clients send waits in them. */
  pause(): void {
    this.server?.signal("SIGSTOP");
  }

  /** SIGCONT: the server goes on with what waited in its sockets. */
  resume(): void {
    this.server?.signal("SIGCONT");
  }

  /** Kills and starts again on the same port and data dir. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Session ids (as `0x...`) connected to this server now, from `cons`. */
  async sessions(): Promise<string[]> {
    const cons = await fourLetterWord(this.hostPort, "cons");
    return [...cons.matchAll(/sid=(0x[0-9a-f]+)/g)].map((m) => m[1]!);
  }

  async dispose(): Promise<void> {
    untrackResource(this);
    await this.kill();
    if (this.ownsDir) removeTempDir(this.dir);
  }
}

/** Starts a standalone ZooKeeper on a free port, with a temp data dir; ready when it serves. */
export async function startZooKeeper(config: readonly string[] = []): Promise<ZooKeeperProcess> {
  for (let attempt = 1; ; attempt++) {
    const [clientPort] = await freePorts(1);
    const server = new ZooKeeperProcess(
      { id: 1, dir: makeTempDir("zk"), clientPort: clientPort!, quorum: [], config },
      true,
    );
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.dispose();
      // Another process may have taken the port between freePorts and the bind: try new ones.
      if (attempt >= 3 || !/BindException|Address already in use/.test(String(error))) throw error;
    }
  }
}

/** A ZooKeeper ensemble on loopback: servers 1..n, one temp dir, a connection string of all. */
export class ZooKeeperEnsemble {
  constructor(
    readonly servers: readonly ZooKeeperProcess[],
    private readonly dir: string,
  ) {
    trackResource(this);
  }

  /** `127.0.0.1:P1,127.0.0.1:P2,...`: a client picks one and moves on when it fails. */
  get connectionString(): string {
    return this.servers.map((s) => s.hostPort).join(",");
  }

  /** The server the session (`0x...`) is connected to now, if any. */
  async serverOf(sessionId: string): Promise<ZooKeeperProcess | undefined> {
    for (const server of this.servers) {
      if (!server.running) continue;
      const sessions = await server.sessions().catch((): string[] => []);
      if (sessions.includes(sessionId)) return server;
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    untrackResource(this);
    await Promise.all(this.servers.map((s) => s.dispose()));
    removeTempDir(this.dir);
  }
}

/** Starts an ensemble of `size` servers on free loopback ports; ready when every server serves. */
export async function startZooKeeperEnsemble(size = 3): Promise<ZooKeeperEnsemble> {
  const dir = makeTempDir("zk-ensemble");
  const ports = await freePorts(size * 3);
  const quorum = Array.from(
    { length: size },
    (_, i) => `server.${i + 1}=127.0.0.1:${ports[size + 2 * i]}:${ports[size + 2 * i + 1]}`,
  );
  const servers = Array.from(
    { length: size },
    (_, i) =>
      new ZooKeeperProcess(
        { id: i + 1, dir: join(dir, `server-${i + 1}`), clientPort: ports[i]!, quorum },
        false,
      ),
  );
  const ensemble = new ZooKeeperEnsemble(servers, dir);
  try {
    for (const server of servers) server.spawn();
    await Promise.all(servers.map((s) => s.waitServing(60_000)));
    return ensemble;
  } catch (error) {
    await ensemble.dispose();
    throw error;
  }
}
