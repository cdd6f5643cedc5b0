import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  disposeAll,
  prepareEtcd,
  runningChildren,
  startEtcd,
  startProxy,
  useEtcd,
  useHarnessCleanup,
  waitFor,
} from "../harness/index.js";
import { testClient } from "./client.js";

useHarnessCleanup();

describe("startEtcd", () => {
  test("put/get through the proxy; a reset cut fails the client; restore heals it", async () => {
    const etcd = await startEtcd();
    expect(etcd.endpoint).toBe(`http://127.0.0.1:${etcd.clientPort}`);
    const proxy = await startProxy(etcd);
    const client = testClient({ hosts: [proxy.endpoint] });
    try {
      await client.put("k").value("v");
      expect(await client.get("k").string()).toBe("v");
      expect(proxy.connections).toBeGreaterThan(0);

      proxy.cut({ mode: "reset" });
      expect(proxy.connections).toBe(0);
      await expect(client.get("k").string()).rejects.toThrow();

      proxy.restore();
      await waitFor(async () => (await client.get("k").string()) === "v", { message: "get after restore" });
    } finally {
      client.close();
    }
  });

  test("a blackhole cut makes calls time out instead of failing; restore heals it", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const client = testClient({ hosts: [proxy.endpoint] }, 300);
    try {
      await client.put("k").value("v");
      proxy.cut({ mode: "blackhole" });
      const started = performance.now();
      await expect(client.get("k").string()).rejects.toThrow(/deadline/i);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(proxy.connections).toBeGreaterThan(0); // held open, not reset

      proxy.restore();
      await waitFor(async () => (await client.get("k").string()) === "v", { message: "get after restore" });
    } finally {
      client.close();
    }
  });

  test("kill + restart keeps the data, the ports and the endpoint", async () => {
    const etcd = await startEtcd();
    await etcd.etcdctl(["put", "/kept", "yes"]);
    const { endpoint, pid } = etcd;
    await etcd.kill();
    expect(etcd.running).toBe(false);
    await etcd.restart();
    expect(etcd.running).toBe(true);
    expect(etcd.pid).not.toBe(pid);
    expect(etcd.endpoint).toBe(endpoint);
    expect(await etcd.etcdctl(["get", "/kept", "--print-value-only"])).toBe("yes\n");
  });

  test("watcherCount() goes up by one per watcher and back down on cancel", async () => {
    const etcd = await startEtcd();
    const client = testClient(etcd.clientOptions());
    try {
      const before = await etcd.watcherCount();
      const watcher = await client.watch().prefix("/w/").create();
      await waitFor(async () => (await etcd.watcherCount()) === before + 1, { message: "watcher count +1" });
      await watcher.cancel();
      await waitFor(async () => (await etcd.watcherCount()) === before, { message: "watcher count back" });
    } finally {
      client.close();
    }
  });

  test("pause() hangs etcd, resume() brings it back; stop() is graceful; dispose removes the data dir", async () => {
    const etcd = await startEtcd();
    etcd.pause();
    expect(etcd.paused).toBe(true);
    await expect(etcd.waitHealthy(200)).rejects.toThrow(/not healthy within 200 ms/);
    etcd.resume();
    await etcd.waitHealthy(2000);

    await etcd.stop();
    expect(etcd.running).toBe(false);
    await etcd.restart();
    await etcd.dispose();
    expect(existsSync(etcd.dataDir)).toBe(false);
  });

  test("extra args and auth: etcdctl authenticates as root after enableAuth()", async () => {
    const etcd = await startEtcd({ extraArgs: ["--auth-token-ttl=1"] });
    await etcd.enableAuth("s3cret:with-colon");
    await etcd.etcdctl(["put", "/a", "1"]);
    expect(await etcd.etcdctl(["get", "/a", "--print-value-only"])).toBe("1\n");
    await expect(etcd.etcdctl(["get", "/a"], { user: "root", password: "wrong" })).rejects.toThrow(
      /authentication failed/,
    );
    // health must not depend on auth, or a restart of an auth-enabled etcd would never be "healthy"
    await etcd.restart();
  });

  test("prepareEtcd() reserves ports and a data dir; start() brings etcd up later", async () => {
    const etcd = await prepareEtcd();
    expect(etcd.running).toBe(false);
    await expect(etcd.etcdctl(["--command-timeout=300ms", "get", "/x"])).rejects.toThrow();
    await etcd.start();
    await etcd.etcdctl(["put", "/x", "1"]);
  });

  test("a proxy resets its client when etcd dies behind it, and reconnects after the restart", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const client = testClient({ hosts: [proxy.endpoint] });
    try {
      await client.put("/p").value("1");
      await etcd.kill();
      await expect(client.get("/p").string()).rejects.toThrow();
      await etcd.restart();
      await waitFor(async () => (await client.get("/p").string()) === "1", { message: "get after restart" });
    } finally {
      client.close();
    }
  });

  test("a missing binary is reported with the ETCD_BIN hint", async () => {
    const saved = process.env.ETCD_BIN;
    process.env.ETCD_BIN = "/nonexistent/etcd";
    try {
      await expect(startEtcd()).rejects.toThrow(/ETCD_BIN/);
    } finally {
      if (saved === undefined) delete process.env.ETCD_BIN;
      else process.env.ETCD_BIN = saved;
    }
  });

  test("disposeAll leaves no etcd running", async () => {
    await startEtcd();
    expect(runningChildren()).toBeGreaterThan(0);
    await disposeAll();
    expect(runningChildren()).toBe(0);
  });
});

describe("useEtcd", () => {
  const etcd = useEtcd();
  test("starts one etcd for the block, ready in tests", async () => {
    expect(etcd().running).toBe(true);
    await etcd().etcdctl(["put", "/use", "1"]);
    expect(await etcd().etcdctl(["get", "/use", "--print-value-only"])).toBe("1\n");
  });
});
