// The driver's handle on a worker process: start (fork), query, quiet, SIGKILL and restart, stop.
import { fork, type ChildProcess } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TcpProxy } from "../test/harness/index.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./protocol.js";

type StateMessage = Extract<FromWorker, { type: "state" }>;

/** A registration event as its worker reported it (with the worker life's pid), and which worker. */
export type EventRecord = Omit<Extract<FromWorker, { type: "event" }>, "type" | "id"> & {
  readonly worker: number;
};

const WORKER_JS = fileURLToPath(new URL("./worker.js", import.meta.url));
const OUTPUT_TAIL = 8 * 1024;

/** Every worker child ever forked, so that an exit (or SIGINT) can SIGKILL whatever still runs. */
const children = new Set<ChildProcess>();

/** SIGKILLs every worker still running (synchronous: for exit and signal handlers). */
export const killAllWorkers = (): void => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
};

export class WorkerHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly pending = new Map<number, (state: StateMessage) => void>();
  private expectExit = false;
  private output = "";
  /** grpc-js "rejected by server because of excess pings" lines (etcd's keep-alive enforcement). */
  excessPings = 0;
  /** Lives so far (a restart after SIGKILL is a new life). */
  lives = 0;
  readonly events: EventRecord[] = [];
  readonly namingErrors: { readonly at: number; readonly message: string }[] = [];
  /** Problems the worker itself raised: a crash, an unexpected exit. */
  readonly faults: string[] = [];

  constructor(
    readonly config: WorkerConfig,
    /** One proxy per member, in member order. */
    readonly proxies: readonly TcpProxy[],
  ) {}

  get id(): number {
    return this.config.id;
  }
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Forks the worker (a new life) and waits until it says it is ready. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error(`worker ${this.id} already runs`);
    this.lives++;
    this.expectExit = false;
    const config: WorkerConfig = { ...this.config, seed: this.config.seed + this.lives * 7919 };
    const child = fork(WORKER_JS, [JSON.stringify(config)], {
      execArgv: ["--expose-gc", "--enable-source-maps"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    children.add(child);
    const append = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      this.excessPings += text.split("because of excess pings").length - 1;
      this.output = (this.output + text).slice(-OUTPUT_TAIL);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        children.delete(child);
        if (!this.expectExit) {
          this.faults.push(
            `worker ${this.id} (pid ${child.pid}) exited by itself: code ${code}, signal ${signal}`,
          );
        }
        resolve();
      });
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.id} not ready within ${timeoutMs} ms\n${this.output}`)),
        timeoutMs,
      );
      child.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve();
        }
        this.onMessage(child, message);
      });
    });
    await ready;
  }

  private onMessage(child: ChildProcess, message: FromWorker): void {
    switch (message.type) {
      case "event": {
        const { type: _type, id: _id, ...record } = message;
        this.events.push({ worker: this.id, ...record });
        return;
      }
      case "naming-error":
        this.namingErrors.push({ at: message.at, message: message.message });
        return;
      case "state":
        this.pending.get(message.seq)?.(message);
        this.pending.delete(message.seq);
        return;
      case "fatal":
        this.faults.push(`worker ${this.id} (pid ${child.pid}) crashed: ${message.message}`);
        return;
      default:
        return;
    }
  }

  private send(message: ToWorker): void {
    if (this.child?.connected) this.child.send(message);
  }

  quiet(on: boolean): void {
    this.send({ type: "quiet", on });
  }

  /** A snapshot of the worker's registrations and views (heap after a full GC with `gc`). */
  query(gc = false, timeoutMs = 5_000): Promise<StateMessage> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`worker ${this.id} did not answer a query within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, (state) => {
        clearTimeout(timer);
        resolve(state);
      });
      this.send({ type: "query", seq, gc });
    });
  }

  /** Open file descriptors of the worker now (/proc/PID/fd). */
  fdCount(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      return readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      return undefined;
    }
  }

  /** What the worker's open fds are, by kind ("socket 12, pipe 4, ..."): to tell a leak's kind. */
  fdKinds(): string | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const kinds = new Map<string, number>();
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        let kind = "?";
        try {
          kind = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/[:[].*$/, "");
        } catch {
          // Closed between the listing and the link: not counted as a kind.
        }
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      return [...kinds].map(([k, n]) => `${k} ${n}`).join(", ");
    } catch {
      return undefined;
    }
  }

  /** SIGKILL: no teardown, leases left to expire. */
  async kill(): Promise<void> {
    this.expectExit = true;
    if (this.running) this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** Asks the worker to deregister and exit; SIGKILL after the deadline. Returns its close time. */
  async stop(timeoutMs = 10_000): Promise<number | undefined> {
    if (!this.running) return undefined;
    this.expectExit = true;
    let closeMs: number | undefined;
    this.child?.on("message", (m: FromWorker) => {
      if (m.type === "stopped") closeMs = m.closeMs;
    });
    this.send({ type: "stop" });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.faults.push(`worker ${this.id} did not stop within ${timeoutMs} ms`);
      await this.kill();
    }
    return closeMs;
  }

  outputTail(): string {
    return this.output;
  }
}
