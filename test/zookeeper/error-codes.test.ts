// node-zookeeper-client 1.1.3 knows ZooKeeper's error codes down to -115. A newer server answers
// with others (a quota exceeded is -125): the client then threw "Unknown code" from inside its
// socket handler, an uncaught exception that ended the whole process. Here an app's node has a
// hard quota of one node (itself), so registering an instance under it is refused with -125.
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import type { NamingError } from "../../src/index.js";
import { inst } from "../contract/naming-contract.js";
import { startZooKeeper, useHarnessCleanup, waitFor, zookeeperJar } from "../harness/index.js";
import { EventLog, ZkWorld } from "./support.js";

useHarnessCleanup();

/** zkCli's `setquota -N <count> <path>`: a hard limit on the nodes under `path`, itself included. */
const setHardCountQuota = (hostPort: string, path: string, count: number): void => {
  const out = spawnSync(
    "java",
    [
      "-cp",
      `${zookeeperJar()}:/usr/share/java/slf4j-simple.jar`,
      "org.apache.zookeeper.ZooKeeperMain",
      "-server",
      hostPort,
      "setquota",
      "-N",
      String(count),
      path,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (out.status !== 0) throw new Error(`setquota failed: ${out.stdout}${out.stderr}`);
};

it("a write ZooKeeper refuses with a code the client does not know is an error naming it, and nothing else breaks", async () => {
  // enforceQuota: zoo.cfg's unknown keys become system properties (zookeeper.enforceQuota).
  const server = await startZooKeeper(["enforceQuota=true"]);
  const world = new ZkWorld(() => server.hostPort);
  try {
    await world.admin.put("/kratos_etcd/zk.quota", "");
    setHardCountQuota(server.hostPort, "/kratos_etcd/zk.quota", 1);

    const naming = world.naming();
    const errors: NamingError[] = [];
    naming.errors$.subscribe((e) => errors.push(e));
    const refused = new EventLog(naming.register(inst("zk.quota", "h1")));
    const fine = new EventLog(naming.register(inst("zk.other", "h1")));

    await fine.nth("registered", 1, 15_000);
    // Reported on errors$ with the code's name and the key, and retried with backoff.
    const quota = await waitFor(() => errors.find((e) => /QUOTA_EXCEEDED\[-125\]/.test(e.message)), {
      timeoutMs: 15_000,
      message: "the quota error on errors$",
    });
    expect(quota.key).toBe("/kratos_etcd/zk.quota/h1");
    expect(refused.types()).toEqual([]);
    expect(refused.errors).toEqual([]);
    expect(await world.get("/kratos_etcd/zk.quota/h1")).toBeUndefined();
    // The session lives on: the other registration was not lost, and a new one still works.
    expect(await world.get("/kratos_etcd/zk.other/h1")).toBeDefined();
    const later = new EventLog(naming.register(inst("zk.other", "h2")));
    await later.nth("registered", 1, 15_000);
    expect(fine.types()).toEqual(["registered"]);
  } finally {
    await world.dispose();
    await server.dispose();
  }
}, 60_000);
