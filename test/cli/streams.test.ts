import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { holdFor, startEtcd, startProxy, useEtcd, useEtcdClient } from "../harness/index.js";
import {
  CliProcess,
  cleanEnv,
  registerCommand,
  runCli,
  shell,
  type CliResult,
  useBuiltCli,
} from "../harness/cli-process.js";
import { TmuxScreen } from "./tmux-screen.js";

// What `register` and `watch` say while they run: the library's errors as they happen, by cause;
// the stream coming back after an outage; a pipe closed under them; a registration that ends.
const etcd = useEtcd();
const cli = useBuiltCli();
const client = useEtcdClient(etcd);

const at = (): string[] => ["--endpoints", etcd().endpoint];

/** Nothing but what the command meant to say: no stack, no unhandled error event. */
const expectQuiet = (result: CliResult): void => {
  expect(result.stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
};

/** The stderr lines of a running command, once one matches. */
const waitForStderr = async (p: CliProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.stderr)) {
    if (Date.now() > deadline) throw new Error(`stderr never showed ${pattern}:\n${p.stderr}\n${p.stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p.stderr;
};

/** The screen, once it satisfies `ok`. */
const waitForScreen = async (
  screen: TmuxScreen,
  ok: (s: string) => boolean,
  timeoutMs: number,
): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await screen.capture();
    if (ok(shown)) return shown;
    if (Date.now() > deadline) throw new Error(`the screen never changed as expected:\n${shown}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("a closed pipe ends the command quietly", () => {
  it("rxnaming demo | head -2", async () => {
    const p = shell(`node ${cli().main} demo --duration 30s | head -2`);
    const result = await p.exit(20_000); // the demo would run 30 s
    expectQuiet(result);
    expect(result.stdout.split("\n").filter((l) => l !== "")).toHaveLength(2);
  });

  it.each([[[]], [["--json"]]])("rxnaming watch %j | head -1, at its next write", async (extra) => {
    const app = freshApp("pipe");
    const p = shell(`node ${cli().main} watch ${app} ${extra.join(" ")} ${at().join(" ")} | head -1`);
    try {
      await p.waitForOutput(/\n/);
      await client()
        .put(`/kratos_etcd/${app}/host-1`)
        .value(JSON.stringify({ appid: app, hostname: "host-1", addrs: ["grpc://10.0.0.5:9000"] }));
      const result = await p.exit(10_000);
      expectQuiet(result);
      expect(result.stdout.split("\n").filter((l) => l !== "")).toHaveLength(1);
    } finally {
      p.kill();
    }
  });
});

describe("errors$ on stderr, by cause", () => {
  it("watch: a value that does not decode is reported as such, not as an unreachable etcd", async () => {
    const app = freshApp("decode");
    const watch = new CliProcess(cli().main, ["watch", app, "--json", ...at()]);
    try {
      await watch.waitForOutput(/"synced"/);
      await client().put(`/kratos_etcd/${app}/host-1`).value("{not json");
      const stderr = await waitForStderr(watch, /\n/);
      expect(stderr.split("\n")[0], stderr).toMatch(
        /^rxnaming: skipped: cannot decode \/kratos_etcd\/\S+\/host-1: /,
      );
      expect(stderr).not.toMatch(/cannot reach|is it running/);
    } finally {
      watch.kill();
    }
  });

  it("list: a value that does not decode is named on stderr; the rest is listed, exit 0", async () => {
    const app = freshApp("decode");
    await client().put(`/kratos_etcd/${app}/bad`).value("{not json");
    await client()
      .put(`/kratos_etcd/${app}/good`)
      .value(JSON.stringify({ appid: app, hostname: "good", addrs: ["grpc://10.0.0.5:9000"] }));
    const result = await runCli(cli().main, ["list", app, ...at()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^good\s/m);
    expect(result.stderr).toMatch(/^rxnaming: skipped: cannot decode \/kratos_etcd\/\S+\/bad: [^\n]+\n$/);
  });

  it("watch: an outage is reported, and the stream coming back is a line too (--json and text)", async () => {
    const proxy = await startProxy(etcd());
    const app = freshApp("outage");
    const via = ["--endpoints", proxy.endpoint];
    const json = new CliProcess(cli().main, ["watch", app, "--json", ...via]);
    const text = new CliProcess(cli().main, ["watch", app, ...via]);
    try {
      await json.waitForOutput(/"synced"/);
      await text.waitForOutput(/watching/);
      proxy.cut({ mode: "reset" });
      await waitForStderr(json, /rxnaming: .*retrying/);
      await waitForStderr(text, /rxnaming: .*retrying/);
      proxy.restore();
      await json.waitForOutput(/"synced"[^\n]*\n[^]*"type":"synced"/);
      await text.waitForOutput(/watching[^]*\n.*back/);
      const lines = json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[1]).toMatchObject({ type: "synced", appId: app, count: 0 });
    } finally {
      json.kill();
      text.kill();
      await proxy.close();
    }
  });

  it("watch in a terminal: the error line under the table goes when the backend is back", async () => {
    const proxy = await startProxy(etcd());
    const app = freshApp("outage");
    const screen = await TmuxScreen.start(
      `node ${cli().main} watch ${app} --endpoints ${proxy.endpoint}`,
      120,
      30,
      cleanEnv(),
    );
    try {
      await screen.waitFor(/no instances/, 20_000);
      proxy.cut({ mode: "reset" });
      await screen.waitFor(/retrying/, 20_000);
      proxy.restore();
      const back = await waitForScreen(screen, (s) => !/retrying/.test(s), 20_000);
      expect(back).toMatch(/no instances/);
    } finally {
      await screen.kill();
      await proxy.close();
    }
  });

  it("register: an outage of its lease's keep-alives is reported, at most a line a second", async () => {
    const proxy = await startProxy(etcd());
    const app = freshApp("outage");
    const register = new CliProcess(cli().main, [
      ...registerCommand(app),
      "--ttl",
      "3",
      "--endpoints",
      proxy.endpoint,
    ]);
    try {
      await register.waitForOutput(/^registered /m);
      proxy.cut({ mode: "reset" });
      const since = Date.now();
      await waitForStderr(register, /rxnaming: retrying: .*etcd/);
      // The cut goes on while the retry lines are counted: at most about one a second.
      const observedMs = 3_000;
      await holdFor(observedMs);
      const lines = register.stderr.split("\n").filter((l) => /retrying/.test(l));
      expect(lines.length).toBeLessThanOrEqual(Math.ceil((Date.now() - since) / 1000) + 1);
    } finally {
      register.kill();
      await proxy.close();
    }
  });
});

describe("a registration that ends", () => {
  it("register: an error of the registration is one line naming the key, the lease is revoked, exit 1", async () => {
    const secured = await startEtcd();
    await secured.enableAuth("root-pw");
    await secured.etcdctl(["user", "add", "bob", "--new-user-password=bob-pw"]);
    await secured.etcdctl(["role", "add", "reader"]);
    await secured.etcdctl(["role", "grant-permission", "reader", "read", "/kratos_etcd/", "--prefix=true"]);
    await secured.etcdctl(["user", "grant-role", "bob", "reader"]);
    const app = freshApp("denied");
    const result = await runCli(cli().main, [
      ...registerCommand(app),
      "--endpoints",
      secured.endpoint,
      "--user",
      "bob:bob-pw",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rxnaming: [^\n]+\n$/);
    expect(result.stderr).toContain(`/kratos_etcd/${app}/host-1`);
    const root = new Etcd3({ hosts: [secured.endpoint], auth: { username: "root", password: "root-pw" } });
    try {
      expect((await root.leaseClient.leaseLeases()).leases).toEqual([]);
    } finally {
      root.close();
    }
  });
});
