import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { freePort, makeTlsMaterial, startEtcd, useEtcd } from "../harness/index.js";
import { cleanEnv, runCli, type CliResult, useBuiltCli } from "../harness/cli-process.js";

// The command line's arguments and environment: etcdctl's variables, time-outs in words, files
// that are not certificates, values that are not names.
const etcd = useEtcd();
const cli = useBuiltCli();

const expectOneLineError = (result: CliResult, code: number, pattern: RegExp): void => {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(/^rxnaming: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
};

/** A TCP listener that accepts connections and never says a word. */
const silentListener = async (): Promise<{ port: number; close(): Promise<void> }> => {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
};

describe("etcdctl's environment variables", () => {
  it("ETCDCTL_ENDPOINTS selects etcd; a flag wins over it; ETCD_ENDPOINTS wins over it", async () => {
    const app = freshApp("env");
    const closed = `http://127.0.0.1:${await freePort()}`;
    const fromEnv = await runCli(
      cli().main,
      ["list", app, "--json"],
      20_000,
      cleanEnv({ ETCDCTL_ENDPOINTS: etcd().endpoint }),
    );
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ appId: app, instances: [] });
    const flagWins = await runCli(
      cli().main,
      ["list", app, "--json", "--endpoints", etcd().endpoint],
      20_000,
      cleanEnv({ ETCDCTL_ENDPOINTS: closed }),
    );
    expect(flagWins.code).toBe(0);
    const ours = await runCli(
      cli().main,
      ["list", app, "--json"],
      20_000,
      cleanEnv({ ETCDCTL_ENDPOINTS: closed, ETCD_ENDPOINTS: etcd().endpoint }),
    );
    expect(ours.code).toBe(0);
  });

  it("ETCDCTL_USER, ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY reach an etcd with TLS and auth", async () => {
    const tls = await makeTlsMaterial();
    const secured = await startEtcd({ tls: { ...tls, clientCertAuth: true } });
    await secured.enableAuth("root-pw");
    const app = freshApp("env");
    const env = cleanEnv({
      ETCDCTL_ENDPOINTS: secured.endpoint,
      ETCDCTL_CACERT: tls.caFile,
      ETCDCTL_CERT: tls.clientCertFile,
      ETCDCTL_KEY: tls.clientKeyFile,
      ETCDCTL_USER: "root:root-pw",
    });
    const listed = await runCli(cli().main, ["list", app, "--json"], 20_000, env);
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    // A flag wins: a wrong --user is refused although ETCDCTL_USER is right.
    const wrong = await runCli(cli().main, ["list", app, "--user", "root:nope"], 20_000, env);
    expectOneLineError(wrong, 1, /refused the user name or password of "root"/);
  });

  it("ETCDCTL_DIAL_TIMEOUT in Go's syntax, and a silent etcd is named as one, at the time-out", async () => {
    const silent = await silentListener();
    try {
      const endpoint = `127.0.0.1:${silent.port}`;
      const flag = await runCli(cli().main, ["list", "a", "--endpoints", endpoint, "--dial-timeout", "3s"]);
      expectOneLineError(
        flag,
        1,
        new RegExp(`etcd at http://127\\.0\\.0\\.1:${silent.port} did not answer within 3 s`),
      );
      expect(flag.stderr).not.toMatch(/Deadline|name resolution/);
      const env = await runCli(
        cli().main,
        ["list", "a", "--endpoints", endpoint],
        20_000,
        cleanEnv({ ETCDCTL_DIAL_TIMEOUT: "1500ms" }),
      );
      expectOneLineError(env, 1, /did not answer within 1\.5 s/);
      const bad = await runCli(cli().main, ["list", "a"], 20_000, cleanEnv({ ETCDCTL_DIAL_TIMEOUT: "soon" }));
      expectOneLineError(bad, 2, /ETCDCTL_DIAL_TIMEOUT/);
    } finally {
      await silent.close();
    }
  });

  it("demo: --endpoints, ETCD_ENDPOINTS or ETCDCTL_ENDPOINTS run it on etcd, none on the embedded store", async () => {
    const envs: Record<string, string>[] = [
      { ETCD_ENDPOINTS: etcd().endpoint },
      { ETCDCTL_ENDPOINTS: etcd().endpoint },
    ];
    for (const env of envs) {
      const result = await runCli(cli().main, ["demo", "--duration", "1s"], 40_000, cleanEnv(env));
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`rxnaming.demo on etcd ${etcd().endpoint}`);
    }
    const embedded = await runCli(cli().main, ["demo", "--duration", "1s"], 40_000);
    expect(embedded.stdout).toContain("rxnaming.demo on the embedded in-memory store");
  });
});

describe("arguments that must be refused", () => {
  it("--dial-timeout beyond any sense is a usage error, not a millisecond", async () => {
    const result = await runCli(cli().main, ["list", "a", "--dial-timeout", "99999999999999999999s"]);
    expectOneLineError(result, 2, /--dial-timeout.*at most 24h/);
  });

  it("--cacert of a device or a FIFO: refused at once, naming the option and the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rxnaming-cli-"));
    try {
      const fifo = join(dir, "ca.fifo");
      execFileSync("mkfifo", [fifo]);
      for (const file of ["/dev/zero", fifo]) {
        const result = await runCli(
          cli().main,
          ["list", "a", "--endpoints", "https://127.0.0.1:1", "--cacert", file],
          10_000,
        );
        expectOneLineError(
          result,
          2,
          new RegExp(`--cacert ${file.replace(/[.]/g, "\\.")}: not a regular file`),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["--addr", "grpc://10.0.0.5:9000\u001b[2J", /--addr: .*control character U\+001B/],
    ["--zone", "sh\u202e001", /--zone: .*U\+202E/],
    ["--zone", "sh\r\n001", /--zone: .*control character U\+000D/],
  ])(
    "register %s with a control or BiDi character: refused before connecting",
    async (flag, value, pattern) => {
      const args = [
        "register",
        "--appid",
        "a",
        "--hostname",
        "h",
        "--addr",
        "grpc://10.0.0.5:9000",
        flag,
        value,
      ];
      const result = await runCli(cli().main, args, 10_000);
      expectOneLineError(result, 2, pattern);
      // eslint-disable-next-line no-control-regex
      expect(result.stderr).not.toMatch(/[\u001b\r\u202e]/);
    },
  );
});

describe("help", () => {
  it("the top-level help names ZooKeeper", async () => {
    const result = await runCli(cli().main, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ZooKeeper/);
    expect(result.stdout).toMatch(/--zookeeper/);
  });
});
