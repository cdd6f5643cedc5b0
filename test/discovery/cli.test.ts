// The `rxnaming` command on bilibili discovery (`--discovery`), run as a user would: the built
// package, each command a child process, against a real discovery server started by the harness.
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildCli, CliProcess, registerCommand, runCli, type BuiltCli } from "../harness/cli-process.js";
import { freshApp } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { freePort } from "../harness/ports.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { describeWithDiscovery, served } from "./support.js";

describeWithDiscovery("rxnaming --discovery", () => {
  useHarnessCleanup();
  let cli: BuiltCli;
  let server: DiscoveryProcess;
  beforeAll(async () => {
    [cli, server] = await Promise.all([buildCli(), startDiscovery()]);
  }, 120_000);
  afterAll(async () => {
    await cli?.remove();
  });

  it("register, then list shows the instance; SIGTERM cancels it at once and exits 0", async () => {
    const app = freshApp("cli-discovery");
    const at = ["--discovery", server.node];
    const register = new CliProcess(cli.main, [...registerCommand(app), "--zone", "sh002", ...at]);
    try {
      await register.waitForOutput(new RegExp(`^registered ${app.replaceAll(".", "\\.")}/host-1 `, "m"));
      expect((await served(server.node, app)).map((i) => [i.hostname, i.zone])).toEqual([
        ["host-1", "sh002"],
      ]);
      const listed = await runCli(cli.main, ["list", app, "--json", ...at]);
      expect(listed.code).toBe(0);
      const json = JSON.parse(listed.stdout) as { instances: { hostname: string; addrs: string[] }[] };
      expect(json.instances).toEqual([
        expect.objectContaining({ hostname: "host-1", addrs: ["grpc://10.0.0.5:9000"] }),
      ]);
      register.signal("SIGTERM");
      expect((await register.exit(5_000)).code).toBe(0);
      expect(await served(server.node, app)).toEqual([]);
    } finally {
      register.kill();
    }
  });

  it("a node that does not answer exits 1 within seconds, saying so", async () => {
    const port = await freePort();
    const down = await runCli(cli.main, [
      "list",
      "demo",
      "--discovery",
      `127.0.0.1:${port}`,
      "--dial-timeout",
      "1s",
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /discovery at 127\.0\.0\.1:\d+ did not answer within 1 s \(--dial-timeout\): is it running/,
    );
  });
});
