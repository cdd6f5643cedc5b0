import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { trackChild } from "./registry.js";
import { waitFor } from "./wait-for.js";

const ROOT = resolve(import.meta.dirname, "../..");
// Inside the repo, so that the build's imports (rxjs, etcd3) resolve to the repo's node_modules.
const CACHE = join(ROOT, "node_modules", ".cache", "rxnaming-processes");

// A Node program that watches one app with rxnaming and prints each set as a JSON line; it closes
// its naming on SIGTERM or when its stdin ends.
const WATCHER = `
const [dist, hosts, app] = process.argv.slice(2);
const { etcdNaming } = await import(dist);
const naming = etcdNaming({ hosts: hosts.split(",") }, { lingerMs: 0 });
const sub = naming.build(app).instances$.subscribe((info) =>
  process.stdout.write(JSON.stringify({ hosts: info.instances.map((i) => i.hostname) }) + "\\n"),
);
naming.errors$.subscribe((e) => process.stdout.write(JSON.stringify({ error: e.message }) + "\\n"));
const stop = async () => { sub.unsubscribe(); await naming.close(); process.exit(0); };
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
`;

let built: Promise<string> | undefined;

/**
 * Compiles rxnaming (src) once per test run with tsc, so that plain Node child processes can load
 * it. Returns the file URL of the build's index.js.
 */
export function buildRxnaming(): Promise<string> {
  built ??= (async () => {
    const out = join(CACHE, "dist");
    mkdirSync(out, { recursive: true });
    await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        join(ROOT, "tsconfig.build.json"),
        "--outDir",
        out,
      ],
      { cwd: ROOT },
    );
    writeFileSync(join(CACHE, "watcher.mjs"), WATCHER);
    return pathToFileURL(join(out, "index.js")).href;
  })();
  return built;
}

/** A child Node process watching one app through rxnaming: its latest set and its errors. */
export class WatcherProcess {
  latest: string[] | undefined;
  readonly errors: string[] = [];
  /** The last ~4 KB the process wrote to stderr, for failure messages. */
  stderr = "";
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    trackChild(child);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { hosts?: string[]; error?: string };
        if (msg.hosts !== undefined) this.latest = msg.hosts;
        if (msg.error !== undefined) this.errors.push(msg.error);
      } catch {
        // not ours
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-4_096);
    });
    this.exited = new Promise((done) => child.once("exit", () => done()));
  }

  /** Waits until the latest set equals `hosts`. */
  async until(hosts: readonly string[], timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.latest?.join() === hosts.join(), {
      timeoutMs,
      message:
        `process ${this.child.pid} to see [${hosts.join(",")}] (has [${this.latest?.join(",") ?? "nothing"}]; ` +
        `exit ${this.child.exitCode ?? this.child.signalCode ?? "none"}; errors ${this.errors.slice(-3).join(" | ")}; ` +
        `stderr ${this.stderr.slice(-500)})`,
    });
  }

  /** Closes its naming and waits for it to exit (SIGKILL after 3 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts a Node process that watches `app` through an etcd naming on `hosts`. */
export async function spawnWatcher(hosts: readonly string[], app: string): Promise<WatcherProcess> {
  const dist = await buildRxnaming();
  const child = spawn(process.execPath, [join(CACHE, "watcher.mjs"), dist, hosts.join(","), app], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new WatcherProcess(child);
}
