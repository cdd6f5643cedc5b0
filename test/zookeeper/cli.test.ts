// The `rxnaming` command on ZooKeeper (`--zookeeper`), run as a user would: the built package, each
// command a child process, against a real ZooKeeper server started by the harness.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, CliProcess, registerCommand, runCli, type BuiltCli } from "../harness/cli-process.js";
import { freshApp } from "../contract/naming-contract.js";
import { freePort, startZooKeeper, useHarnessCleanup, type ZooKeeperProcess } from "../harness/index.js";

useHarnessCleanup();

let cli: BuiltCli;
let zk: ZooKeeperProcess;

beforeAll(async () => {
  [cli, zk] = await Promise.all([buildCli(), startZooKeeper()]);
}, 120_000);

afterAll(async () => {
  await cli?.remove();
});

describe("rxnaming --zookeeper", () => {
  it("register, then list shows the instance; SIGTERM removes it at once and exits 0", async () => {
    const app = freshApp("cli-zk");
    const at = ["--zookeeper", zk.hostPort];
    const register = new CliProcess(cli.main, [...registerCommand(app), ...at]);
    try {
      await register.waitForOutput(
        new RegExp(`^registered /kratos/${app.replaceAll(".", "\\.")}/host-1 `, "m"),
      );
      const listed = await runCli(cli.main, ["list", app, "--json", ...at]);
      expect(listed.code).toBe(0);
      const json = JSON.parse(listed.stdout) as { instances: { hostname: string; addrs: string[] }[] };
      expect(json.instances).toEqual([
        expect.objectContaining({ hostname: "host-1", addrs: ["grpc://10.0.0.5:9000"] }),
      ]);
      register.signal("SIGTERM");
      expect((await register.exit(5_000)).code).toBe(0);
      const after = await runCli(cli.main, ["list", app, "--json", ...at]);
      expect((JSON.parse(after.stdout) as { instances: unknown[] }).instances).toEqual([]);
    } finally {
      register.kill();
    }
  });

  it("--layout other than kratos-v1 is a usage error; a server that does not answer exits 1 within seconds", async () => {
    const wrong = await runCli(cli.main, ["list", "demo", "--zookeeper", zk.hostPort, "--layout", "go-zero"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^rxnaming: --layout go-zero is for etcd/);
    const port = await freePort();
    const started = Date.now();
    const down = await runCli(cli.main, [
      "list",
      "demo",
      "--zookeeper",
      `127.0.0.1:${port}`,
      "--dial-timeout",
      "2s",
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^rxnaming: ZooKeeper at 127\.0\.0\.1:\d+ did not answer within 2 s \(--dial-timeout\): is it running/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("register --session-timeout: prints the session timeout that applies, not a TTL; --ttl is refused", async () => {
    const app = freshApp("cli-zk");
    const at = ["--zookeeper", zk.hostPort];
    const args = [...registerCommand(app), ...at];
    const register = new CliProcess(cli.main, [...args, "--session-timeout", "8s"]);
    try {
      const [line] = await register.waitForOutput(/^registered .*$/m);
      expect(line).toMatch(/session timeout 8 s/);
      expect(line).not.toMatch(/TTL/);
    } finally {
      register.signal("SIGTERM");
      await register.exit(10_000).catch(() => register.kill());
    }
    const ttl = await runCli(cli.main, [...args, "--ttl", "10"]);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toMatch(/^rxnaming: --ttl .*--session-timeout/);
  });
});
