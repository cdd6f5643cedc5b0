import { expect, test } from "vitest";
import { startCluster, useHarnessCleanup, waitFor } from "../harness/index.js";
import { testClient } from "./client.js";

useHarnessCleanup();

test("a 3-member cluster starts, survives killing its leader, and takes the member back", async () => {
  const cluster = await startCluster(3);
  expect(cluster.endpoints).toHaveLength(3);
  expect(new Set(cluster.members.map((m) => m.clientPort)).size).toBe(3);
  const client = testClient(cluster.clientOptions());
  try {
    await client.put("/before").value("1");
    const leader = await cluster.leader();
    await leader.kill();

    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    await waitFor(async () => (await client.put("/after").value("2")) !== undefined, {
      timeoutMs: 10_000,
      message: "a write after the leader was killed",
    });
    expect(await cluster.etcdctl(["get", "/before", "--print-value-only"])).toBe("1\n");

    await leader.restart();
    expect(await leader.etcdctl(["get", "/after", "--print-value-only"])).toBe("2\n");

    // No quorum, then all back at once.
    await Promise.all(cluster.members.map((m) => m.kill()));
    await cluster.startMembers();
    expect(await cluster.etcdctl(["get", "/after", "--print-value-only"])).toBe("2\n");
  } finally {
    client.close();
  }
});
