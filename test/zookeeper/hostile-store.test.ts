// Hostile data in a real ZooKeeper: a value nested thousands deep, and a child the client may not
// read (its ACL grants no READ). Each is reported for its own node; its siblings are listed.
import type { Subscription } from "rxjs";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InstancesInfo, NamingError } from "../../src/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { deepJsonScenario, kratosValue } from "../backends/deep-json-scenario.js";
import { startZooKeeper, useHarnessCleanup, waitFor, type ZooKeeperProcess } from "../harness/index.js";
import zookeeper from "node-zookeeper-client";
import { ZkWorld } from "./support.js";

useHarnessCleanup();

let server: ZooKeeperProcess;
beforeAll(async () => {
  server = await startZooKeeper();
});

describe("a hostile ZooKeeper store", () => {
  let world: ZkWorld;
  const subs: Subscription[] = [];
  beforeEach(() => {
    world = new ZkWorld(() => server.hostPort);
  });
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    await world.dispose();
  });

  it("lists an app around a value nested 5,000 deep, in the first read and in the watch", async () => {
    const app = freshApp("deep");
    await deepJsonScenario(
      world.naming(),
      app,
      (hostname, value) => world.put(`/kratos_etcd/${app}/${hostname}`, value),
      (hostname) => `/kratos_etcd/${app}/${hostname}`,
    );
  });

  it("reports and skips a child it may not read (NO_AUTH), and lists its siblings", async () => {
    const app = freshApp("acl");
    await world.put(`/kratos_etcd/${app}/good-1`, kratosValue(app, "good-1"));
    // Anyone may write, delete and administer it, nobody may read it.
    const noRead = [
      new zookeeper.ACL(
        zookeeper.Permission.WRITE | zookeeper.Permission.DELETE | zookeeper.Permission.ADMIN,
        new zookeeper.Id("world", "anyone"),
      ),
    ];
    const secret = `/kratos_etcd/${app}/secret`;
    await new Promise<void>((resolve, reject) =>
      world.admin.client.create(secret, Buffer.from(kratosValue(app, "secret")), noRead, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    const naming = world.naming();
    const errors: NamingError[] = [];
    subs.push(naming.errors$.subscribe((e) => errors.push(e)));
    const sets: InstancesInfo[] = [];
    subs.push(naming.build(app).instances$.subscribe((s) => sets.push(s)));
    const hostnames = () =>
      sets
        .at(-1)
        ?.instances.map((i) => i.hostname)
        .join();
    await waitFor(() => hostnames() === "good-1", { message: "the readable sibling" });
    const refused = await waitFor(() => errors.find((e) => e.key === secret), {
      message: "the refused child reported",
    });
    expect(refused.message).toMatch(/NO_AUTH/);
    // The watch goes on: a later sibling is listed, and the refused child is not reported again.
    await world.put(`/kratos_etcd/${app}/good-2`, kratosValue(app, "good-2", "10.0.0.2"));
    await waitFor(() => hostnames() === "good-1,good-2", { message: "a later sibling" });
    expect(errors.filter((e) => e.key === secret)).toHaveLength(1);
  });
});
