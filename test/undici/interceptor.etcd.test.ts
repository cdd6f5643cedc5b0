// HTTP by name on a real etcd, with real node:http servers: churn under load, and a slow instance.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdNaming, type Naming } from "../../src/index.js";
import { testInstance } from "../../src/testing/index.js";
import { namingInterceptor } from "../../src/undici/index.js";
import { sleep, startEtcd, useHarnessCleanup, waitFor, type EtcdProcess } from "../harness/index.js";
import { startServer, type NamedServer } from "./servers.js";

useHarnessCleanup();

const root = join(import.meta.dirname, "..", "..");
let etcd: EtcdProcess;
let naming: Naming;
beforeAll(async () => {
  etcd = await startEtcd();
  naming = etcdNaming({ hosts: [etcd.endpoint] });
});
afterAll(() => naming.close());

describe("namingInterceptor on etcd, under churn", () => {
  it("loses no idempotent request while instances leave, die and join; a joiner gets traffic within 1 s", async () => {
    const app = "churn.http";
    const servers = await Promise.all(["stays", "leaves", "joins"].map(startServer));
    const [stays, leaves, joins] = servers as [NamedServer, NamedServer, NamedServer];
    const registered = (s: NamedServer) =>
      naming.register(testInstance({ appId: app, hostname: s.name, addrs: [s.addr] })).subscribe();
    const subs = [registered(stays), registered(leaves)];

    // The one to kill runs in a process of its own and registers itself.
    // One process: tsx as a loader, not its command, which would run the script in a child of its own.
    const child = spawn(process.execPath, ["--import", "tsx", "test/undici/fixtures/registered-server.ts"], {
      cwd: root,
      env: { ...process.env, ETCD_ENDPOINTS: etcd.endpoint, APP_ID: app, HOSTNAME_ID: "killed" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const interceptor = namingInterceptor(naming, { balancer: "round_robin" });
    const agent = new Agent().compose(interceptor);
    try {
      await waitFor(() => out.includes("ready"), { timeoutMs: 20_000 });
      const killedPort = /ready (\d+)/.exec(out)![1]!;
      await waitFor(async () => (await fetch(`http://${app}/`, { dispatcher: agent })).ok, {
        timeoutMs: 5_000,
      });

      const answers = new Map<string, number>();
      const failures: string[] = [];
      let joinedAt = 0;
      let firstToJoiner = 0;
      let leftAt = 0;
      let goneAt = 0; // when the app's shared set, which the interceptor follows, no longer held it
      const watching = naming.build(app).instances$.subscribe((info) => {
        if (leftAt > 0 && goneAt === 0 && !info.instances.some((i) => i.hostname === "leaves"))
          goneAt = Date.now();
      });
      const started = Date.now();
      const sent: Promise<void>[] = [];
      for (let i = 0; i < 2_000; i++) {
        const at = started + i * 5;
        await sleep(Math.max(0, at - Date.now())); // 200 a second, on a clock, not one after another
        if (i === 600) {
          subs[1]!.unsubscribe();
          leftAt = Date.now();
        }
        if (i === 1_000) child.kill("SIGKILL");
        if (i === 1_400) {
          subs.push(registered(joins));
          joinedAt = Date.now();
        }
        sent.push(
          fetch(`http://${app}/`, { dispatcher: agent })
            .then((r) => r.text())
            .then(
              (name) => {
                answers.set(name, (answers.get(name) ?? 0) + 1);
                if (name === "joins" && firstToJoiner === 0) firstToJoiner = Date.now();
              },
              (e: Error) => void failures.push(`${e.message}: ${(e.cause as Error | undefined)?.message}`),
            ),
        );
      }
      await Promise.all(sent);
      // Any failure must be a request to the killed instance (none is expected: each is retried).
      for (const f of failures) expect(f).toContain(killedPort);
      expect(failures.length).toBeLessThanOrEqual(answers.get("killed") ?? 0);
      expect(firstToJoiner - joinedAt).toBeLessThan(1_000);
      expect(firstToJoiner).toBeGreaterThan(0);
      // The instance that deregistered left the set within 1 s, and got nothing new after that:
      // only requests already on their way could still arrive.
      watching.unsubscribe();
      expect(goneAt - leftAt).toBeLessThan(1_000);
      expect(goneAt).toBeGreaterThan(0);
      expect(leaves.lastAt - goneAt).toBeLessThan(200);
      expect(answers.get("stays")).toBeGreaterThan(500);
    } finally {
      child.kill("SIGKILL");
      subs.forEach((s) => s.unsubscribe());
      await interceptor.close();
      await agent.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 60_000);

  it("gives a slow instance (200 ms) under 10% of p2c's requests among fast ones", async () => {
    const app = "slow.http";
    const servers = await Promise.all(["slow", "f1", "f2", "f3"].map(startServer));
    servers[0]!.delayMs = 200;
    const subs = servers.map((s) =>
      naming.register(testInstance({ appId: app, hostname: s.name, addrs: [s.addr] })).subscribe(),
    );
    const interceptor = namingInterceptor(naming); // p2c
    const agent = new Agent().compose(interceptor);
    try {
      const resolver = naming.build(app);
      await waitFor(
        async () => {
          const set = await resolver.fetch();
          return set._tag === "Right" && set.right.instances.length === 4;
        },
        { timeoutMs: 5_000 },
      );
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 100; i++) await (await fetch(`http://${app}/`, { dispatcher: agent })).text();
        }),
      );
      const total = servers.reduce((n, s) => n + s.requests, 0);
      expect(total).toBe(400);
      expect(servers[0]!.requests / total).toBeLessThan(0.1);
    } finally {
      subs.forEach((s) => s.unsubscribe());
      await interceptor.close();
      await agent.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
