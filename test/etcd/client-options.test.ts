// `etcdNaming({ hosts })` makes its own client (with etcdClientOptions) and closes it in
// `naming.close()`; a client passed in stays open for its owner.
import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { etcdNaming } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";

useHarnessCleanup();

describe("etcdNaming(options)", () => {
  it("makes a client that registers and discovers, and closes it in close()", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const naming = etcdNaming({ hosts: [proxy.endpoint] }, { lingerMs: 0, ttlSeconds: 5 });
    const app = freshApp("own-client");
    const sub = naming.register(inst(app, "h1")).subscribe();
    await until(naming.build(app).instances$, (h) => h.includes("h1"));
    expect(proxy.connections).toBeGreaterThan(0);
    sub.unsubscribe();
    await naming.close();
    // Its client is closed: no connection is left to etcd.
    await waitFor(() => proxy.connections === 0, { timeoutMs: 3_000, message: "no connection left" });
  });

  it("leaves a client passed in open for its owner", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const client = new Etcd3({ hosts: [proxy.endpoint] });
    const naming = etcdNaming(client, { lingerMs: 0 });
    const app = freshApp("their-client");
    await until(naming.build(app).instances$, () => true);
    await naming.close();
    expect(await client.get("/nothing").string()).toBeNull();
    expect(proxy.connections).toBeGreaterThan(0);
    client.close();
    await waitFor(() => proxy.connections === 0, { timeoutMs: 3_000, message: "closed by its owner" });
  });
});
