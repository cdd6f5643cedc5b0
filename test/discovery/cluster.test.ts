import { firstValueFrom } from "rxjs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { discoveryNaming, type Naming, type NamingError, type RegistrationEvent } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { startDiscoveryCluster, type DiscoveryCluster } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { waitFor } from "../harness/wait-for.js";
import { describeWithDiscovery, ENV, served, ZONE } from "./support.js";

describeWithDiscovery("discovery: a 3-node cluster", () => {
  useHarnessCleanup();
  let cluster: DiscoveryCluster;
  const namings: Naming[] = [];
  beforeAll(async () => {
    cluster = await startDiscoveryCluster(3);
  });
  afterAll(async () => {
    await Promise.all(namings.map((n) => n.close()));
  });

  it("goes on through the other nodes when the one in use is SIGKILLed, and duplicates nothing when it returns", async () => {
    const naming = (): Naming => {
      const n = discoveryNaming({
        nodes: cluster.nodes,
        zone: ZONE,
        env: ENV,
        lingerMs: 0,
        renewIntervalMs: 1_000,
        requestTimeoutMs: 2_000,
      });
      namings.push(n);
      return n;
    };
    const app = freshApp();
    const provider = naming();
    const events: RegistrationEvent[] = [];
    provider.register(inst(app, "a")).subscribe((e) => events.push(e));
    provider.register(inst(app, "b")).subscribe();
    const consumer = naming();
    const errors: NamingError[] = [];
    consumer.errors$.subscribe((e) => errors.push(e));
    const info$ = consumer.build(app).instances$;
    info$.subscribe();
    await until(info$, (h) => h.length === 2);
    // Replicated to every node.
    for (const node of cluster.nodes) {
      await waitFor(async () => (await served(node, app)).length === 2, { message: `both on ${node}` });
    }

    const [first] = cluster.servers;
    const killedAt = Date.now();
    await first!.kill();
    // A registration and a cancel after the kill reach the consumer through another node.
    const c = provider.register(inst(app, "c")).subscribe();
    await until(info$, (h) => h.join() === "a,b,c");
    c.unsubscribe();
    await until(info$, (h) => h.join() === "a,b");
    expect(errors.some((e) => e.message.includes(first!.node))).toBe(true);
    // Renewals went on elsewhere (a renew since the kill, on a node still up): nothing was lost.
    const renewed = async (node: string) =>
      (await served(node, app)).every((i) => Number(i.renew_timestamp) / 1e6 > killedAt + 1_000);
    await waitFor(async () => (await renewed(cluster.nodes[1]!)) && (await renewed(cluster.nodes[2]!)), {
      message: "a and b renewed since the kill",
    });
    expect(events.map((e) => e.type)).toEqual(["registered"]);

    await first!.start();
    await cluster.waitJoined();
    provider.register(inst(app, "d")).subscribe();
    await until(info$, (h) => h.join() === "a,b,d");
    for (const node of cluster.nodes) {
      await waitFor(
        async () =>
          (await served(node, app))
            .map((i) => i.hostname)
            .sort()
            .join() === "a,b,d",
        {
          timeoutMs: 10_000,
          message: `a, b, d once each on ${node}`,
        },
      );
    }
    expect((await firstValueFrom(info$)).instances.map((i) => i.hostname)).toEqual(["a", "b", "d"]);
  });
});
