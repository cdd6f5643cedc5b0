// A process that closes its ZooKeeper naming exits by itself, and its nodes are gone at once (the
// session is closed, not left to time out).
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { startZooKeeper, useHarnessCleanup, type ZooKeeperProcess } from "../harness/index.js";
import { RawZk } from "./support.js";

useHarnessCleanup();
const root = join(import.meta.dirname, "..", "..");
let dir: string;
let zk: ZooKeeperProcess;

// The package as users get it: compiled, imported by a plain Node process.
beforeAll(async () => {
  dir = await mkdtemp(join(root, ".tmp-zk-shutdown-"));
  [zk] = await Promise.all([
    startZooKeeper(),
    promisify(execFile)(process.execPath, [
      join(root, "node_modules/typescript/bin/tsc"),
      "-p",
      join(root, "tsconfig.build.json"),
      "--outDir",
      join(dir, "dist"),
    ]),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CHILD = `
import { zookeeperNaming } from "./dist/index.js";
import { filter, firstValueFrom } from "rxjs";
const [servers, app] = process.argv.slice(2);
// A long session timeout: had close() left the session to time out, the node would stay 30 s.
const naming = zookeeperNaming({ servers, sessionTimeoutMs: 30000 });
naming.register({ appId: app, hostname: "child", addrs: ["grpc://127.0.0.1:1"] }).subscribe();
const info$ = naming.build(app).instances$;
info$.subscribe();
await firstValueFrom(info$.pipe(filter((i) => i.instances.length === 1)));
console.log("READY");
await new Promise((r) => process.stdin.once("data", r));
process.stdin.destroy(); // the pipe from the test is ours, not the library's
await naming.close();
console.log("CLOSED");
`;

it("a process that closes its naming exits by itself, and its node is gone at once", async () => {
  await writeFile(join(dir, "child.mjs"), CHILD);
  const app = freshApp();
  const key = `/kratos/${app}/child`;
  const admin = new RawZk(zk.hostPort);
  const child = spawn(process.execPath, [join(dir, "child.mjs"), zk.hostPort, app], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitForText(() => out, "READY", 15_000);
    expect(await admin.get(key)).toContain('"hostname":"child"');
    const started = Date.now();
    child.stdin.write("close\n");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 5_000))]);
    expect({ code, out }).toEqual({ code: 0, out: "READY\nCLOSED\n" }); // not "hung"
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await admin.get(key)).toBeUndefined();
  } finally {
    child.kill("SIGKILL");
    admin.close();
  }
});

const waitForText = async (read: () => string, text: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(`child did not print ${text} within ${timeoutMs} ms: ${read()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
