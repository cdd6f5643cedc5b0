// Many processes: Node processes watching one app through one `etcd grpc-proxy` cost
// the cluster one watcher, against one per process without the proxy; they converge after the
// proxy is killed and restarted; a proxy in front of a 3-member cluster survives a member kill.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildRxnaming,
  startCluster,
  startEtcd,
  startGrpcProxy,
  spawnWatcher,
  useHarnessCleanup,
  waitFor,
  type EtcdProcess,
  type WatcherProcess,
} from "../harness/index.js";
import { etcdState, EtcdWorld, freshApp, putInstance } from "../faults/support.js";

useHarnessCleanup();

/**
 * Processes in the fleet. 20 start in about 10 s on 2 idle cores (a second of CPU each, mostly
 * loading the etcd3 client's protobufs); with the cores shared by other suites it took up to 2.5 min.
 */
const N = 20;

const spawnAll = (hosts: readonly string[], app: string, n: number): Promise<WatcherProcess[]> =>
  Promise.all(Array.from({ length: n }, () => spawnWatcher(hosts, app)));

const stopAll = (ps: readonly WatcherProcess[]): Promise<void[]> => Promise.all(ps.map((p) => p.stop()));

const allSee = async (ps: readonly WatcherProcess[], hosts: string[], timeoutMs: number): Promise<void> => {
  await Promise.all(ps.map((p) => p.until(hosts, timeoutMs)));
};

describe("many processes through etcd's gRPC proxy", () => {
  let world: EtcdWorld | undefined;
  beforeAll(async () => {
    await buildRxnaming();
  }, 120_000);
  afterAll(async () => {
    await world?.dispose();
  });

  it(`${N} processes watching one app cost the cluster 1 watcher through the proxy, ${N} without`, async () => {
    const etcd: EtcdProcess = await startEtcd();
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("fleet");
    await putInstance(world.admin, app, "h1", "v1");

    // Without the proxy: one watcher per client. Measured with 20 namings on 20 clients in this
    // process (to the cluster the same as 20 processes, and 20 fewer Node start-ups on 2 cores).
    const base = await etcd.watcherCount();
    const directNamings = Array.from({ length: N }, () => world!.naming({}, world!.client()));
    const directSubs = directNamings.map((n) => n.build(app).instances$.subscribe());
    await waitFor(async () => (await etcd.watcherCount()) - base === N, { timeoutMs: 10_000 }).catch(
      () => undefined,
    );
    const withoutProxy = (await etcd.watcherCount()) - base;
    for (const sub of directSubs) sub.unsubscribe();
    await Promise.all(directNamings.map((n) => n.close()));
    await waitFor(async () => (await etcd.watcherCount()) === base, { timeoutMs: 5_000 });

    // Through the proxy: its own watchers (leader detection) counted before the fleet comes.
    const proxy = await startGrpcProxy(etcd);
    const proxyBase = await waitFor(
      async () => {
        const count = await etcd.watcherCount();
        return count > base ? count : undefined;
      },
      { timeoutMs: 10_000, message: "the proxy's own watcher on the cluster" },
    );
    // Starting 20 Node processes takes a second or more of CPU each: a generous deadline.
    const fleet = await spawnAll([proxy.endpoint], app, N);
    try {
      await allSee(fleet, ["h1"], 150_000);
      // The proxy merges watches as their creates come in, and a late one at its next update.
      await putInstance(world.admin, app, "h2", "v1");
      await allSee(fleet, ["h1", "h2"], 30_000);
      await waitFor(async () => (await etcd.watcherCount()) - proxyBase === 1, {
        timeoutMs: 5_000,
        message: "one cluster watcher for the fleet",
      }).catch(() => undefined);
      const throughProxy = (await etcd.watcherCount()) - proxyBase;
      expect(withoutProxy).toBe(N);
      expect(throughProxy).toBe(1);

      // The proxy killed: changes made meanwhile reach every process once it is back.
      await proxy.kill();
      await putInstance(world.admin, app, "h3", "v1");
      await world.del(`/kratos_etcd/${app}/h1`);
      await proxy.start();
      const truth = (await etcdState(world.admin, app)).fingerprint.map((l) => l.split("=")[0]!);
      await allSee(fleet, truth, 30_000);
      // After a restart the processes come back at different moments, and the proxy (etcd 3.4)
      // merges a watch only into one that serves fewer than 5 clients: a few watchers, not 20.
      await waitFor(
        async () => {
          const watchers = (await etcd.watcherCount()) - proxyBase;
          return watchers >= 1 && watchers <= N / 5;
        },
        {
          timeoutMs: 10_000,
          message: `at most ${N / 5} cluster watchers for the fleet after the proxy's restart`,
        },
      );
    } finally {
      await stopAll(fleet);
    }
  }, 300_000);

  it("a proxy in front of a 3-member cluster survives a member kill", async () => {
    const cluster = await startCluster(3);
    const w = new EtcdWorld(() => cluster.clientOptions());
    const proxy = await startGrpcProxy(cluster);
    const app = freshApp("fleet3");
    try {
      await putInstance(w.admin, app, "h1", "v1");
      const fleet = await spawnAll([proxy.endpoint], app, 3);
      try {
        await allSee(fleet, ["h1"], 60_000);
        await (await cluster.leader()).kill();
        await waitFor(
          () =>
            putInstance(w.admin, app, "h2", "v1").then(
              () => true,
              () => false,
            ),
          { timeoutMs: 10_000, intervalMs: 100, message: "a put through the other members" },
        );
        await allSee(fleet, ["h1", "h2"], 30_000);
      } finally {
        await stopAll(fleet);
      }
    } finally {
      await w.dispose();
    }
  }, 120_000);
});
