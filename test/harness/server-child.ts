// A server process the harness started (etcd, its grpc-proxy, ZooKeeper, discovery): tracked so
// that nothing outlives the run, its pipes always drained (a full pipe blocks a server's logger and
// hangs it) into the tail of what it wrote, for error messages.
import { spawn, type ChildProcess } from "node:child_process";
import { trackChild } from "./registry.js";
import { sleep } from "./wait-for.js";

const OUTPUT_TAIL_BYTES = 16 * 1024;

export class ServerChild {
  /** The last ~16 KB the server wrote. */
  output = "";
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly process: ChildProcess;

  constructor(file: string, args: readonly string[]) {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    trackChild(child);
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    // spawn errors (ENOENT, EACCES) arrive as an event: recorded, so that a wait reports them.
    child.once("error", (error) => append(Buffer.from(`\nspawn error: ${error.message}\n`)));
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends `signal` while it runs (SIGSTOP: it hangs with its sockets open; SIGCONT: it goes on). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** SIGKILL, as a crash; resolves once it is gone. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.exited;
  }

  /**
   * Polls `ready` every `intervalMs` until it holds; fails at once, with the output, if the process
   * exits, and at the deadline.
   */
  async waitReady(
    what: string,
    ready: () => Promise<boolean>,
    timeoutMs: number,
    intervalMs: number,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${what} exited while starting:\n${this.output}`);
      if (await ready()) return;
      if (performance.now() > deadline)
        throw new Error(`${what} not ready after ${timeoutMs} ms:\n${this.output}`);
      await sleep(intervalMs);
    }
  }
}
