import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { useEtcd } from "../harness/index.js";

const etcd = useEtcd();
const root = join(import.meta.dirname, "..", "..");
let dir: string;

// The package as users get it: compiled, imported by a plain Node process.
beforeAll(async () => {
  dir = await mkdtemp(join(root, ".tmp-shutdown-"));
  await promisify(execFile)(process.execPath, [
    join(root, "node_modules/typescript/bin/tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    join(dir, "dist"),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CHILD = `
import { Etcd3 } from "etcd3";
import { etcdNaming, etcdClientOptions } from "./dist/index.js";
import { filter, firstValueFrom } from "rxjs";
const [endpoint, app] = process.argv.slice(2);
const client = new Etcd3(etcdClientOptions({ hosts: [endpoint] }));
const naming = etcdNaming(client, { ttlSeconds: 30 });
naming.register({ appId: app, hostname: "child", addrs: ["grpc://127.0.0.1:1"] }).subscribe();
const info$ = naming.build(app).instances$;
info$.subscribe();
await firstValueFrom(info$.pipe(filter((i) => i.instances.length === 1)));
console.log("READY");
await new Promise((r) => process.stdin.once("data", r));
process.stdin.destroy(); // the pipe from the test is ours, not the library's
await naming.close();
client.close();
console.log("CLOSED");
`;

it("closes every watch and lease before the client, and leaves nothing that keeps the process alive", async () => {
  await writeFile(join(dir, "child.mjs"), CHILD);
  const app = freshApp();
  const before = await etcd().watcherCount();
  const child = spawn(process.execPath, [join(dir, "child.mjs"), etcd().endpoint, app], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitForText(() => out, "READY", 10_000);
    // One watcher: the app's watch, shared with the one that tells the registration when a newer
    // registration takes its key.
    expect(await etcd().watcherCount()).toBe(before + 1);
    expect(await etcd().etcdctl(["get", `/kratos_etcd/${app}/child`, "--print-value-only"])).toContain(
      '"hostname":"child"',
    );
    const started = Date.now();
    child.stdin.write("close\n");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 5_000))]);
    expect({ code, out }).toEqual({ code: 0, out: "READY\nCLOSED\n" }); // not "hung": nothing kept the event loop alive
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(out).toContain("CLOSED");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await etcd().watcherCount()).toBe(before);
    expect(await etcd().etcdctl(["get", `/kratos_etcd/${app}/child`])).toBe("");
    expect(await etcd().etcdctl(["lease", "list"])).not.toMatch(/id: [0-9a-f]+/);
  } finally {
    child.kill("SIGKILL");
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
