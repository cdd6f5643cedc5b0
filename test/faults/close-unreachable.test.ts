// naming.close() while etcd is unreachable returns within 2 s, and leaves no timer
// or socket that keeps the process alive. Run in a child process (the compiled package), which must
// exit by itself after closing its naming and its client.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdFor, startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";

useHarnessCleanup();

const root = resolve(import.meta.dirname, "../..");
let buildDir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // The package as users get it: compiled by tsc into a temp dir that resolves node_modules here.
  buildDir = mkdtempSync(join(tmpdir(), "rxnaming-faults-dist-"));
  writeFileSync(join(buildDir, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(join(root, "node_modules"), join(buildDir, "node_modules"), "dir");
  await new Promise<void>((done, fail) => {
    execFile(
      process.execPath,
      [
        join(root, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(buildDir, "dist"),
      ],
      { cwd: root, timeout: 55_000 },
      (error, stdout, stderr) => (error ? fail(new Error(`tsc failed: ${stdout}${stderr}`)) : done()),
    );
  });
}, 60_000);

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const startChild = (endpoint: string): Child => {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "fixtures/close-child.mjs"), join(buildDir, "dist"), endpoint],
    { cwd: buildDir, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal, at: Date.now() })),
  );
  return { process: child, output: () => out, exited };
};

describe("naming.close() while etcd is unreachable", () => {
  const scenario = async (fault: "killed" | "partitioned"): Promise<void> => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const child = startChild(proxy.endpoint);
    try {
      await waitFor(() => child.output().includes("ready"), {
        timeoutMs: 10_000,
        message: "the child registered and listed",
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; child output: ${child.output()}`, { cause: e });
      });
      if (fault === "killed") await etcd.kill();
      else proxy.cut({ mode: "blackhole" });
      const outageMs = 1_000;
      await holdFor(outageMs);

      // A process that registers and watches must not exit because etcd went away.
      expect(
        child.process.exitCode,
        `the child exited while etcd was unreachable: ${child.output()}`,
      ).toBeNull();
      child.process.kill("SIGUSR2");
      const closed = await waitFor(() => /closed (\d+)/.exec(child.output()), {
        timeoutMs: 5_000,
        message: "close() returned",
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; child output: ${child.output()}`, { cause: e });
      });
      const closedAt = Date.now();
      const closeMs = Number(closed[1]);
      // Nothing may hold the process once close() has returned and the client is closed.
      const exit = await Promise.race([
        child.exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 4_000)),
      ]);
      const exitAfterClose = exit === undefined ? undefined : exit.at - closedAt;
      expect(closeMs).toBeLessThan(2_000);
      expect(exit, `the child did not exit by itself; output: ${child.output()}`).toBeDefined();
      expect(exit!.code).toBe(0);
      expect(exitAfterClose).toBeLessThan(1_000);
    } finally {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    }
  };

  it("etcd killed: close() returns within 2 s and the process exits by itself", async () => {
    await scenario("killed");
  });

  it("etcd partitioned (blackhole): close() returns within 2 s and the process exits by itself", async () => {
    await scenario("partitioned");
  });
});
