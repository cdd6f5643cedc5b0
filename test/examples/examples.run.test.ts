// The examples (the README's code) as a new user runs them: the package packed, installed into a
// fresh project with pnpm (strict node_modules: only what the user installs is importable), the
// examples type-checked there against the packed types, and run under tsx and plain node against
// real etcd and ZooKeeper processes.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, startZooKeeper, useHarnessCleanup, waitFor, type EtcdProcess } from "../harness/index.js";
import { discoveryBinary, startDiscovery } from "../harness/discovery-process.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const bin = (path: string): string => join(root, "node_modules", path);
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};

useHarnessCleanup();

let work: string;
let app: string;

/** Runs `file` (an example in the user's project) to its end; its stdout. */
const runExample = async (runner: "tsx" | "node", file: string, env: Record<string, string> = {}) => {
  const args =
    runner === "tsx" ? [bin("tsx/dist/cli.mjs"), file] : [join("out", file.replace(/\.ts$/, ".js"))];
  const { stdout } = await run(process.execPath, args, {
    cwd: app,
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return stdout;
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rxnaming-examples-"));
  // The package as `npm pack` makes it, built into a copy so the repository's dist/ is left alone.
  const pkg = join(work, "package");
  mkdirSync(pkg);
  for (const f of ["package.json", "README.md", "LICENSE", "src"])
    cpSync(join(root, f), join(pkg, f), { recursive: true });
  await run(process.execPath, [
    bin("typescript/bin/tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    join(pkg, "dist"),
  ]);
  await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: pkg });
  const tarball = join(work, `rxnaming-${manifest.version}.tgz`);

  // A user's project: rxnaming and the peers the README's install line names, nothing else.
  app = join(work, "app");
  mkdirSync(app);
  const dev = manifest.devDependencies;
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "user-app",
      private: true,
      type: "module",
      dependencies: {
        rxnaming: `file:${tarball}`,
        rxjs: "~7.8.2",
        "fp-ts": "~2.16.11",
        "@grpc/grpc-js": dev["@grpc/grpc-js"],
        "@types/node": dev["@types/node"],
        etcd3: "~1.1.2", // only for the example that makes its own client
        undici: dev["undici"], // only for HTTP by name
        "@opentelemetry/api": dev["@opentelemetry/api"], // only for metrics
        "@opentelemetry/sdk-metrics": dev["@opentelemetry/sdk-metrics"],
      },
    }),
  );
  await run(
    process.execPath,
    [bin("pnpm/bin/pnpm.cjs"), "install", "--prefer-offline", "--reporter=silent"],
    {
      cwd: app,
      timeout: 150_000,
    },
  );
  for (const f of readdirSync(join(root, "examples")).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  )) {
    cpSync(join(root, "examples", f), join(app, f));
  }
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        types: ["node"],
        outDir: "out",
      },
      include: ["*.ts"],
    }),
  );
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the examples, in a new pnpm project that installed the packed package", () => {
  it("type-check against the packed types, and compile for plain node", async () => {
    // tsc fails (and throws) on any error; it also writes out/ for the plain-node runs below.
    await expect(
      run(process.execPath, [bin("typescript/bin/tsc"), "-p", app], { cwd: app }),
    ).resolves.toBeDefined();
  });

  it("memory.ts runs in memory: registers, discovers, fetches and picks", async () => {
    const out = await runExample("tsx", "memory.ts");
    expect(out).toContain("registered /kratos_etcd/demo.service/host-1");
    expect(out).toContain("fetched 1");
    expect(out).toContain("picked 127.0.0.1:9000");
  });

  it("http.ts calls an HTTP server by name through the undici interceptor", async () => {
    const out = await runExample("node", "http.ts");
    expect(out).toContain("200 hello from users");
  });

  it("registration.ts: the newest registration takes the key over, the displaced one ends with Duplicate", async () => {
    const out = await runExample("tsx", "registration.ts");
    expect(out.trim().split("\n")).toEqual([
      "before: registered /kratos_etcd/demo.service/host-1",
      expect.stringMatching(/^before: Duplicate .*\/kratos_etcd\/demo\.service\/host-1/),
      "after: registered /kratos_etcd/demo.service/host-1",
    ]);
  });

  it("traffic-safety.ts: an instance whose calls fail is ejected", async () => {
    const out = await runExample("node", "traffic-safety.ts");
    expect(out).toContain("picked after the failures: [ 'b' ]");
  });

  it("custom-balancer.ts: a balancer made with balancer() ejects an instance whose calls fail", async () => {
    const out = await runExample("node", "custom-balancer.ts");
    expect(out.trim().split("\n")).toEqual([
      "picked: a b c a b c",
      "picked after c failed three times: a b a b a b",
    ]);
  });

  describe("on etcd", () => {
    let etcd: EtcdProcess;
    beforeAll(async () => {
      etcd = await startEtcd();
    });

    it("etcd.ts registers, sees itself, and leaves neither key nor lease behind", async () => {
      const out = await runExample("tsx", "etcd.ts", { ETCD_ENDPOINTS: etcd.endpoint });
      // The set may list the instance before the registration's event is printed: both are on their way.
      expect(out).toMatch(/instances \[ 'host-1' \]/);
      expect(await etcd.etcdctl(["get", "--prefix", "/kratos_etcd/"])).toBe("");
      expect(await etcd.etcdctl(["lease", "list"])).toMatch(/found 0 leases/);
    });

    it("etcd-own-client.ts works with the user's own etcd3 client, and closes cleanly", async () => {
      const out = await runExample("node", "etcd-own-client.ts", { ETCD_ENDPOINTS: etcd.endpoint });
      expect(out).toContain("listed 1"); // its registration's event may still be on its way, as in etcd.ts
      expect(await etcd.etcdctl(["get", "--prefix", "/kratos_etcd/"])).toBe("");
    });

    it("layouts.ts reads three other frameworks' layouts", async () => {
      const out = await runExample("tsx", "layouts.ts", { ETCD_ENDPOINTS: etcd.endpoint });
      expect(out.trim().split("\n")).toEqual([
        "etcd demo.service 0",
        "etcd svc/echo 0",
        "etcd app/user.rpc 0",
      ]);
    });

    it("a gRPC server and client call each other by name (server under tsx, clients under tsx and node)", async () => {
      const server = spawn(process.execPath, [bin("tsx/dist/cli.mjs"), "grpc-server.ts"], {
        cwd: app,
        env: { ...process.env, ETCD_ENDPOINTS: etcd.endpoint },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const output = captured(server);
      try {
        await waitFor(() => output.stdout.includes("registered"), { timeoutMs: 20_000 });
        const name = /registered \/kratos_etcd\/demo\.echo\/(\S+)/.exec(output.stdout)![1]!;
        for (const runner of ["tsx", "node"] as const) {
          const out = await runExample(runner, "grpc-client.ts", { ETCD_ENDPOINTS: etcd.endpoint });
          expect(out).toContain(`hello from ${name}`);
          expect(out).toContain(`world from ${name}`);
        }
        server.kill("SIGTERM");
        const code = await new Promise<number | null>((resolve) => server.once("exit", resolve));
        expect({ code, stderr: output.stderr }).toEqual({ code: 0, stderr: "" });
        expect(await etcd.etcdctl(["get", "--prefix", "/kratos_etcd/demo.echo/"])).toBe("");
      } finally {
        server.kill("SIGKILL");
      }
    });
  });

  it("zookeeper.ts registers an ephemeral node and sees it", async () => {
    const zk = await startZooKeeper();
    const out = await runExample("node", "zookeeper.ts", { ZOOKEEPER_SERVERS: zk.hostPort });
    expect(out).toContain("registered /kratos/demo.service/host-1");
    expect(out).toMatch(/instances \[ 'host-1' \]/);
  });

  it.skipIf(discoveryBinary() === undefined)(
    "discovery.ts registers on a bilibili discovery server and sees itself",
    async () => {
      const server = await startDiscovery();
      const out = await runExample("tsx", "discovery.ts", { DISCOVERY_NODES: server.node });
      expect(out).toMatch(/registered \S*demo\.service\S*host-1/);
      expect(out).toContain("instances [ 'host-1 sh001' ]");
    },
  );
});

/** What a child process has written so far. */
const captured = (child: ChildProcess): { stdout: string; stderr: string } => {
  const seen = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (seen.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (seen.stderr += d.toString()));
  return seen;
};
