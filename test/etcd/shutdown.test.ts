import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { useBuiltPackage } from "../harness/built-package.js";
import { CliProcess } from "../harness/cli-process.js";
import { useEtcd } from "../harness/index.js";

const etcd = useEtcd();

// The package as users get it: compiled, imported by a plain Node process.
const pkg = useBuiltPackage("shutdown");

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
  await writeFile(join(pkg().dir, "child.mjs"), CHILD);
  const app = freshApp();
  const before = await etcd().watcherCount();
  const child = new CliProcess(
    join(pkg().dir, "child.mjs"),
    [etcd().endpoint, app],
    process.env,
    undefined,
    "pipe",
  );
  try {
    await child.waitForOutput(/READY/, 10_000);
    // One watcher: the app's watch, shared with the one that tells the registration when a newer
    // registration takes its key.
    expect(await etcd().watcherCount()).toBe(before + 1);
    expect(await etcd().etcdctl(["get", `/kratos_etcd/${app}/child`, "--print-value-only"])).toContain(
      '"hostname":"child"',
    );
    const started = Date.now();
    child.write("close\n");
    const { code, stdout: out } = await child.exit(5_000); // fails if the process hangs
    expect({ code, out }).toEqual({ code: 0, out: "READY\nCLOSED\n" }); // nothing kept the event loop alive
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(out).toContain("CLOSED");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await etcd().watcherCount()).toBe(before);
    expect(await etcd().etcdctl(["get", `/kratos_etcd/${app}/child`])).toBe("");
    expect(await etcd().etcdctl(["lease", "list"])).not.toMatch(/id: [0-9a-f]+/);
  } finally {
    child.kill();
  }
});
