import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { freePort, makeTlsMaterial, startEtcd, startProxy, useEtcd } from "../harness/index.js";
import {
  CliProcess,
  cleanEnv,
  registerCommand,
  runCli,
  type CliResult,
  useBuiltCli,
} from "../harness/cli-process.js";
import { TmuxScreen } from "./tmux-screen.js";

// The `rxnaming` command as users run it: the package built once, each command a child process,
// against a real etcd (started by the harness) or none at all.
const etcd = useEtcd();
const cli = useBuiltCli();

const at = (): string[] => ["--endpoints", etcd().endpoint];
const start = (args: readonly string[]): CliProcess => new CliProcess(cli().main, args);
const registerArgs = (app: string, hostname = "host-1"): string[] => [
  ...registerCommand(app, hostname),
  "--zone",
  "sh001",
  "--meta",
  "weight=10",
  "--meta",
  "color=blue",
  ...at(),
];

/** One short line on stderr, no stack trace. */
const expectOneLineError = (result: CliResult, pattern: RegExp): void => {
  expect(result.stderr).toMatch(/^rxnaming: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.length).toBeLessThan(300);
};

describe("on etcd", () => {
  it("register, then list shows the instance (as a table and as JSON)", async () => {
    const app = freshApp("cli");
    const register = start(registerArgs(app));
    try {
      await register.waitForOutput(/^registered \/kratos_etcd\/\S+\/host-1 \(lease \d+, TTL 30 s\)/m);

      const json = await runCli(cli().main, ["list", app, "--json", ...at()]);
      expect(json.code).toBe(0);
      const listed = JSON.parse(json.stdout) as { appId: string; instances: Record<string, unknown>[] };
      expect(listed.appId).toBe(app);
      expect(listed.instances).toEqual([
        expect.objectContaining({
          appId: app,
          hostname: "host-1",
          zone: "sh001",
          addrs: ["grpc://10.0.0.5:9000"],
          metadata: { weight: "10", color: "blue" },
        }),
      ]);

      const table = await runCli(cli().main, ["list", app, ...at()]);
      expect(table.code).toBe(0);
      expect(table.stdout.split("\n")[0]).toMatch(/^HOSTNAME\s+ZONE\s+ADDRS/);
      expect(table.stdout).toMatch(
        /^host-1\s+sh001\s+grpc:\/\/10\.0\.0\.5:9000\s+-\s+color=blue weight=10$/m,
      );
    } finally {
      register.kill();
    }
  });

  it("--layout go-zero: register writes go-zero's bare host:port under the lease's key, list reads it back", async () => {
    const app = `${freshApp("cli")}/user.rpc`;
    const register = start([
      "register",
      "--layout",
      "go-zero",
      "--appid",
      app,
      "--hostname",
      "h",
      "--addr",
      "grpc://10.0.0.7:9001",
      ...at(),
    ]);
    try {
      const [, key, lease] = await register.waitForOutput(/^registered (\S+) \(lease (\d+),/m);
      expect(key).toBe(`${app}/${lease}`);
      const client = new Etcd3({ hosts: [etcd().endpoint] });
      try {
        expect(await client.get(key!).string()).toBe("10.0.0.7:9001");
      } finally {
        client.close();
      }
      const json = await runCli(cli().main, ["list", app, "--json", "--layout", "go-zero", ...at()]);
      expect(json.code).toBe(0);
      const listed = JSON.parse(json.stdout) as { instances: { addrs: string[] }[] };
      expect(listed.instances.map((i) => i.addrs)).toEqual([["grpc://10.0.0.7:9001"]]);
      // Kratos v1 cannot hold an appid with "/": a usage error naming the layout, exit 2.
      const wrong = await runCli(cli().main, ["list", app, ...at()]);
      expect(wrong.code).toBe(2);
      expectOneLineError(wrong, /kratos-v1/);
    } finally {
      register.kill();
    }
  });

  it("watch --json prints the current set, then the add and the removal", async () => {
    const app = freshApp("cli");
    const watch = start(["watch", app, "--json", ...at()]);
    let register: CliProcess | undefined;
    try {
      await watch.waitForOutput(/"type":"synced"/);
      register = start(registerArgs(app, "host-2"));
      await register.waitForOutput(/^registered /m);
      await watch.waitForOutput(/"type":"added"/);
      register.signal("SIGTERM");
      expect((await register.exit(10_000)).code).toBe(0);
      await watch.waitForOutput(/"type":"removed"/);
      watch.signal("SIGINT");
      const result = await watch.exit(10_000);
      expect(result.code).toBe(0);

      const lines = result.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; appId: string; instance?: { hostname: string } });
      expect(lines.map((l) => [l.type, l.instance?.hostname])).toEqual([
        ["synced", undefined], // the set was empty when the watch started
        ["added", "host-2"],
        ["removed", "host-2"],
      ]);
      expect(lines.every((l) => l.appId === app)).toBe(true);
    } finally {
      watch.kill();
      register?.kill();
    }
  });

  it("SIGTERM to register removes the key in under 1 s (not after the TTL) and exits 0", async () => {
    const app = freshApp("cli");
    const key = `/kratos_etcd/${app}/host-3`;
    const client = new Etcd3(etcd().clientOptions());
    const register = start(registerArgs(app, "host-3"));
    try {
      await register.waitForOutput(/^registered /m);
      expect((await client.get(key).string()) ?? "").toContain('"hostname":"host-3"');
      const watcher = await client.watch().key(key).create();
      const deleted = new Promise<number>((resolve) => watcher.on("delete", () => resolve(Date.now())));

      const signalled = Date.now();
      register.signal("SIGTERM");
      const goneAt = await Promise.race([
        deleted,
        new Promise<number>((r) => setTimeout(() => r(Infinity), 5_000)),
      ]);
      expect(goneAt - signalled).toBeLessThan(1_000);
      const result = await register.exit(5_000);
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
      expect(result.stdout).toContain(`deregistered ${key}`);
      expect(await client.get(key).string()).toBeNull();
      await watcher.cancel();
    } finally {
      register.kill();
      client.close();
    }
  });

  it("denied access: one line that names the user and what to grant, exit 1", async () => {
    const secured = await startEtcd();
    await secured.enableAuth("root-pw");
    await secured.etcdctl(["user", "add", "bob", "--new-user-password=bob-pw"]);
    const app = freshApp("cli");
    const denied = await runCli(cli().main, [
      "list",
      app,
      "--endpoints",
      secured.endpoint,
      "--user",
      "bob:bob-pw",
    ]);
    expect(denied.code).toBe(1);
    expectOneLineError(denied, /denied user "bob" access to \/kratos_etcd\/.+: grant it a role/);

    const wrong = await runCli(
      cli().main,
      ["list", app, "--endpoints", secured.endpoint, "--user", "root:nope"],
      20_000,
    );
    expect(wrong.code).toBe(1);
    expectOneLineError(wrong, /refused the user name or password of "root"/);

    const env = cleanEnv({ ETCDCTL_PASSWORD: "root-pw" });
    const allowed = await runCli(
      cli().main,
      ["list", app, "--json", "--endpoints", secured.endpoint, "--user", "root"],
      20_000,
      env,
    );
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ appId: app, instances: [] });
  });
});

describe("TLS", () => {
  it("--cacert, --cert and --key reach an etcd that requires client certificates", async () => {
    const tls = await makeTlsMaterial();
    const secured = await startEtcd({ tls: { ...tls, clientCertAuth: true } });
    const app = freshApp("cli");
    const certs = ["--cacert", tls.caFile, "--cert", tls.clientCertFile, "--key", tls.clientKeyFile];
    const register = start([...registerArgs(app).slice(0, -2), "--endpoints", secured.endpoint, ...certs]);
    try {
      await register.waitForOutput(/^registered /m);
      const listed = await runCli(cli().main, [
        "list",
        app,
        "--json",
        "--endpoints",
        secured.endpoint,
        ...certs,
      ]);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ instances: [{ hostname: "host-1" }] });

      // By IP address (the certificate names 127.0.0.1 too): no Node warning on stderr (DEP0123).
      const byIp = secured.endpoint.replace("localhost", "127.0.0.1");
      const quiet = await runCli(cli().main, ["list", app, "--endpoints", byIp, ...certs]);
      expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 0, stderr: "" });
      expect(quiet.stdout).toMatch(/^host-1\s/m);

      // Without a client certificate etcd refuses the handshake: one line, exit 1.
      const refused = await runCli(cli().main, [
        "list",
        app,
        "--endpoints",
        secured.endpoint,
        "--cacert",
        tls.caFile,
        "--dial-timeout",
        "2s",
      ]);
      expect(refused.code).toBe(1);
      expectOneLineError(refused, /cannot reach etcd at https:\/\/localhost:\d+ .*--cacert/);
    } finally {
      register.kill();
    }
  });
});

describe("errors", () => {
  it.each([
    [["register", "--appid", "a", "--addr", "grpc://h:1"], /required option '--hostname <hostname>'/],
    [["register", "--appid", "a", "--hostname", "h", "--addr", "not a url"], /--addr: .*not a parseable URL/],
    [["register", "--appid", "a", "--hostname", "h", "--addr", "grpc://h:1", "--ttl", "0"], /--ttl/],
    [
      ["register", "--appid", "a", "--hostname", "h", "--addr", "grpc://h:1", "--meta", "weight"],
      /key=value/,
    ],
    [["list", "has space"], /appid "has space": must not contain whitespace/],
    [["list"], /missing required argument 'appid'/],
    [["list", "a", "--endpoints", "ftp://x"], /--endpoints: "ftp:\/\/x" must be http/],
    [["lst", "a"], /unknown command 'lst'/],
    [["demo", "--duration", "soon"], /--duration/],
  ])("bad arguments %j: one short line, exit 2, at once", async (args, pattern) => {
    const result = await runCli(cli().main, args, 10_000);
    expect(result.code).toBe(2);
    expectOneLineError(result, pattern);
    expect(result.stdout).toBe("");
  });

  it("an etcd that refuses connections: exit 1 within seconds, saying what to check", async () => {
    const closed = await freePort(); // nothing listens there
    for (const command of [["list", "a"], ["watch", "a"], registerArgs("a").slice(0, -2)]) {
      const result = await runCli(cli().main, [...command, "--endpoints", `127.0.0.1:${closed}`], 10_000);
      expect(result.code).toBe(1);
      expectOneLineError(
        result,
        new RegExp(`cannot reach etcd at http://127\\.0\\.0\\.1:${closed} .*--endpoints`),
      );
    }
  });

  it("an etcd that does not answer at all: exit 1 after --dial-timeout, not a hang", async () => {
    const proxy = await startProxy(etcd());
    proxy.cut({ mode: "blackhole" });
    const result = await runCli(
      cli().main,
      ["list", "a", "--endpoints", proxy.endpoint, "--dial-timeout", "1s"],
      15_000,
    );
    expect(result.code).toBe(1);
    expectOneLineError(result, /etcd at \S+ did not answer within 1 s/);
    expect(result.ms).toBeLessThan(8_000); // 1 s deadline, plus Node's start-up on a loaded machine
  });
});

describe("demo", () => {
  it("piped: runs the whole story to its end without etcd, in plain lines", async () => {
    // 6 s, not 3: host-a must fail five requests in a row to be ejected, and on a loaded machine
    // p2c sends it few once it learns its failures.
    const result = await runCli(cli().main, ["demo", "--duration", "6s"], 30_000);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).not.toContain("\u001b"); // no escape codes into a pipe
    for (const step of [
      /rxnaming demo: rxnaming\.demo on the embedded in-memory store/,
      /host-d joins/,
      /host-c gets slow/,
      /host-a: updated in place/,
      /host-d: lease lost; registering again/,
      /client: - host-b \(/,
      /host-a ejected for 1 s/,
      /host-a is back from ejection/,
      /traffic \(p2c\): host-a \d+%/,
      /Demo over after 6\.\ds on the embedded in-memory store/,
      /^\s+host-a\s+[\d,]+\s+\d+%\s+\d+ ms$/m,
    ]) {
      expect(result.stdout).toMatch(step);
    }
    // The story breaks host-a for a while: the few requests it fails before p2c ejects it are the
    // only failures.
    const [, total, failed] = /([\d,]+) requests, ([\d,]+) failed;/.exec(result.stdout) ?? [];
    const requests = Number(total?.replace(/,/g, ""));
    expect(requests).toBeGreaterThan(100);
    expect(Number(failed?.replace(/,/g, ""))).toBeLessThanOrEqual(requests * 0.05);
  });

  it("in a terminal: the live view is redrawn in place and the screen ends with the story's outcome", async () => {
    const screen = await TmuxScreen.start(
      `node ${cli().main} demo --duration 3s; echo "[exit $?]"; sleep 60`,
      120,
      40,
      cleanEnv(),
    );
    try {
      const end = await screen.waitFor(/\[exit \d+\]/, 40_000);
      expect(end).toContain("[exit 0]");
      // One frame, overwritten in place: the header once, not once per redraw.
      expect(
        end.match(/rxnaming demo · rxnaming\.demo on the embedded in-memory store · 3\.0s of 3\.0s/g),
      ).toHaveLength(1);
      expect(end).toMatch(/^HOST\s+ZONE\s+WEIGHT\s+LATENCY\s+STATE\s+P2C TRAFFIC\s+WRR\s*$/m);
      expect(end).toMatch(/^host-a\s+sh001\s+30\s+20 ms\s+up\s+█+░*\s+\d+%\s+\d+%\s*$/m);
      expect(end).toMatch(/^host-b\s+sh002\s+10\s+24 ms\s+left\s+[█░]+\s+\d+%\s+-\s*$/m);
      expect(end).toMatch(/^host-d\s+sh002\s+10\s+18 ms\s+up\s/m); // back after its lease was lost
      expect(end).toMatch(/^> \+ ?\d\.\ds {2}\S/m); // the latest event, under the table
      expect(end).toMatch(/Demo over after 3\.\ds on the embedded in-memory store\./);
      expect(end).not.toMatch(/\[\d*[A-Z]/); // no escape code left undigested on screen
      // eslint-disable-next-line no-control-regex
      expect(await screen.capture(true)).toMatch(/\u001b\[3\dm/); // coloured
    } finally {
      await screen.kill();
    }
  });

  it("Ctrl-C ends it early, with the summary, exit 0", async () => {
    const screen = await TmuxScreen.start(
      `bash -c 'node ${cli().main} demo --duration 60s; echo "[exit $?]"; sleep 60'`,
      120,
      40,
      cleanEnv(),
    );
    try {
      await screen.waitFor(/host-a\s+sh001/, 30_000);
      await screen.keys("C-c");
      const end = await screen.waitFor(/\[exit \d+\]/, 15_000);
      expect(end).toContain("[exit 0]");
      expect(end).toMatch(/Demo over after \d+\.\ds on the embedded in-memory store\./);
      expect(end).not.toContain("Demo over after 60.0s");
    } finally {
      await screen.kill();
    }
  });

  it("NO_COLOR: the same live view, without colours", async () => {
    const screen = await TmuxScreen.start(
      `NO_COLOR=1 node ${cli().main} demo --duration 2s; echo "[exit $?]"; sleep 60`,
      120,
      40,
      cleanEnv(),
    );
    try {
      const end = await screen.waitFor(/\[exit \d+\]/, 40_000);
      expect(end).toContain("[exit 0]");
      expect(end).toMatch(/^host-a\s+sh001\s/m);
      // eslint-disable-next-line no-control-regex
      expect(await screen.capture(true)).not.toMatch(/\u001b\[(3\d|9\d|38;)/);
    } finally {
      await screen.kill();
    }
  });
});
