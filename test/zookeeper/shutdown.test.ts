// A process that closes its ZooKeeper naming exits by itself, and its nodes are gone at once (the
// session is closed, not left to time out).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { useBuiltPackage } from "../harness/built-package.js";
import { CliProcess } from "../harness/cli-process.js";
import { startZooKeeper, useHarnessCleanup, type ZooKeeperProcess } from "../harness/index.js";
import { RawZk } from "./support.js";

useHarnessCleanup();
let zk: ZooKeeperProcess;

// The package as users get it: compiled, imported by a plain Node process.
const pkg = useBuiltPackage("zk-shutdown");
beforeAll(async () => {
  zk = await startZooKeeper();
}, 120_000);

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
  await writeFile(join(pkg().dir, "child.mjs"), CHILD);
  const app = freshApp();
  const key = `/kratos/${app}/child`;
  const admin = new RawZk(zk.hostPort);
  const child = new CliProcess(
    join(pkg().dir, "child.mjs"),
    [zk.hostPort, app],
    process.env,
    undefined,
    "pipe",
  );
  try {
    await child.waitForOutput(/READY/, 15_000);
    expect(await admin.get(key)).toContain('"hostname":"child"');
    const started = Date.now();
    child.write("close\n");
    const { code, stdout: out } = await child.exit(5_000); // fails if the process hangs
    expect({ code, out }).toEqual({ code: 0, out: "READY\nCLOSED\n" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await admin.get(key)).toBeUndefined();
  } finally {
    child.kill();
    admin.close();
  }
});
