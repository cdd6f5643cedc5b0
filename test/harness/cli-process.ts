// Runs the built `rxnaming` command as a user would: a child process with its own stdout and
// stderr, an environment without the caller's etcd settings, and deadlines on everything.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { buildPackage, useBuiltPackage } from "./built-package.js";

/** The package compiled as `npm run build` does, into a temp dir; `main` is the CLI's entry. */
export interface BuiltCli {
  readonly main: string;
  remove(): Promise<void>;
}

export const buildCli = async (): Promise<BuiltCli> => {
  const built = await buildPackage("cli");
  return { main: join(built.dir, "dist", "cli", "main.js"), remove: built.remove };
};

/** `rxnaming register` of `hostname` in `app`, at a fixed address: what most CLI tests register. */
export const registerCommand = (app: string, hostname = "host-1"): string[] => [
  "register",
  "--appid",
  app,
  "--hostname",
  hostname,
  "--addr",
  "grpc://10.0.0.5:9000",
];

/** The environment of the child: the caller's, without settings that would pick a backend. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of Object.keys(env).filter(
    (n) => /^(ETCD_|ETCDCTL_|ZOOKEEPER_SERVERS$)/.test(n) || n === "NO_COLOR" || n === "FORCE_COLOR",
  )) {
    delete env[name];
  }
  return { ...env, ...extra };
};

/** A finished run. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A running `rxnaming` (or any Node script), with what it printed so far. */
export class CliProcess {
  stdout = "";
  stderr = "";
  readonly started = Date.now();
  readonly exited: Promise<CliResult>;
  private readonly child: ChildProcess;

  constructor(
    main: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = cleanEnv(),
    /** What to run instead of `node main args`: a shell line around the command, for pipes. */
    shellLine?: string,
    /** "pipe": the test writes to the process's stdin with `write`. */
    stdin: "ignore" | "pipe" = "ignore",
  ) {
    const [file, argv] =
      shellLine === undefined ? [process.execPath, [main, ...args]] : ["sh", ["-c", shellLine]];
    this.child = spawn(file, argv, { env, stdio: [stdin, "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, ms: Date.now() - this.started }),
      ),
    );
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits until stdout matches, or fails with what the process printed. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match !== null) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `rxnaming printed no ${pattern} (exit ${this.child.exitCode}):\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The exit, or a failure if it takes longer than `timeoutMs` (the process is then killed). */
  async exit(timeoutMs: number): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), timeoutMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (result === "late") {
      this.kill();
      throw new Error(
        `rxnaming did not exit within ${timeoutMs} ms:\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
      );
    }
    return result;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

/** Runs a shell line (e.g. `node main watch a | head -1`), with what it printed. */
export const shell = (line: string, env?: NodeJS.ProcessEnv): CliProcess => new CliProcess("", [], env, line);

/** Runs `rxnaming args` to its end (killed after `timeoutMs`). */
export const runCli = (
  main: string,
  args: readonly string[],
  timeoutMs = 20_000,
  env?: NodeJS.ProcessEnv,
): Promise<CliResult> => new CliProcess(main, args, env).exit(timeoutMs);

/** One build of the CLI for the test file: made before its tests, removed after them. */
export const useBuiltCli = (): (() => BuiltCli) => {
  const built = useBuiltPackage("cli");
  return () => ({ main: join(built().dir, "dist", "cli", "main.js"), remove: built().remove });
};
