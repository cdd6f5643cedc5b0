/**
 * Cold start and churn on ZooKeeper beside etcd, in one run, in this process: rxnaming against a
 * hand-written raw consumer of each backend's own client. Run by `npm run bench`
 * (../zookeeper.bench.ts); its table goes to BENCHMARKS.md under "## ZooKeeper beside etcd".
 *
 * Unlike the discovery bench (one process per scenario), everything here runs in the bench
 * process: the writer that drives churn too, so CPU per event is the writer's and the consumer's
 * together. The writer is the same for both rows of a backend: compare rows within a backend.
 */
import { loadavg } from "node:os";
import { Etcd3, type IKeyValue } from "etcd3";
import zookeeper, { type Client, type Event, type Stat } from "node-zookeeper-client";
import {
  etcdClientOptions,
  etcdNaming,
  zookeeperNaming,
  type InstancesInfo,
  type Naming,
} from "../../src/index.js";
import { startEtcd, startZooKeeper } from "../../test/harness/index.js";
import { median, valueOf } from "../discovery/fixtures.js";

// Warm-up plus events a multiple of 3 (a run ends on a re-add): every run starts with the whole set.
const FULL = { instances: 10_000, coldWarmup: 1, coldReps: 5, churnWarmup: 102, churnEvents: 999 };
const QUICK: typeof FULL = {
  instances: 1_000,
  coldWarmup: 1,
  coldReps: 2,
  churnWarmup: 20,
  churnEvents: 100,
};
export const ZK_SIZES: Readonly<typeof FULL> = process.env.BENCH_QUICK === "1" ? QUICK : FULL;

const ROOT = "bench_zk";
const APP = "bench.zk";
const appPath = `/${ROOT}/${APP}`;
const hostname = (k: number): string => `host-${String(k).padStart(5, "0")}`;
const keyOf = (k: number): string => `${appPath}/${hostname(k)}`;
// The discovery bench's values, with this bench's appid.
const value = (k: number, version = "v1"): string =>
  valueOf(APP, k, version).replace(/"hostname":"[^"]*"/, `"hostname":"${hostname(k)}"`);

export interface Cold {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}
export interface Churn {
  readonly events: number;
  readonly cpuMs: number;
  readonly wallMs: number;
}
export interface ZkBenchResults {
  readonly date: string;
  readonly instances: number;
  readonly cold: Record<"etcd-raw" | "etcd-rxnaming" | "zk-raw" | "zk-rxnaming", Cold>;
  readonly churn: Record<"etcd-raw" | "etcd-rxnaming" | "zk-raw" | "zk-rxnaming", Churn>;
  readonly seconds: number;
  readonly load: readonly [number, number];
}

const log = (line: string): void => void process.stdout.write(`[zookeeper bench] ${line}\n`);
const cpuSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** Calls a node-zookeeper-client method as a Promise. */
const zk = <A>(run: (done: (e: unknown, v: A) => void) => void): Promise<A> =>
  new Promise<A>((resolve, reject) => run((e, v) => (e ? reject(e as Error) : resolve(v))));

const connectZk = async (servers: string): Promise<Client> => {
  const client = zookeeper.createClient(servers, { sessionTimeout: 30_000, spinDelay: 100 });
  await new Promise<void>((resolve) => {
    client.once("connected", () => resolve());
    client.connect();
  });
  return client;
};

/** Runs `tasks` with at most `width` in flight. */
const bounded = async (
  count: number,
  width: number,
  task: (k: number) => Promise<unknown>,
): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
};

const timeCold = async (run: () => Promise<() => Promise<void>>): Promise<Cold> => {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < ZK_SIZES.coldWarmup + ZK_SIZES.coldReps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const cleanup = await run();
    const wall = performance.now() - t0;
    const cpu = cpuSince(c0);
    await cleanup();
    if (i >= ZK_SIZES.coldWarmup) {
      walls.push(wall);
      cpus.push(cpu);
    }
  }
  return { wallMs: median(walls), cpuMs: median(cpus), minMs: Math.min(...walls), maxMs: Math.max(...walls) };
};

/** The first set of a fresh naming's `build(APP)` with every instance. */
const firstFullSet = async (naming: Naming): Promise<() => Promise<void>> => {
  await new Promise<void>((resolve, reject) => {
    const sub = naming.build(APP).instances$.subscribe({
      next: (info) => {
        if (info.instances.length !== ZK_SIZES.instances) {
          reject(new Error(`first set has ${info.instances.length} instances`));
        }
        resolve();
        queueMicrotask(() => sub.unsubscribe());
      },
      error: reject,
    });
  });
  return () => naming.close();
};

/** What a consumer has applied: `mark()` before a write, then `saw(...)` says whether it shows. */
interface Seen {
  mark(): void;
  saw(kind: number, k: number, version: string): boolean;
}

/** For a Map of parsed values by key: the write shows when the Map says so. */
const seenInMap = (map: Map<string, unknown>, keyOfK: (k: number) => string): Seen => ({
  mark: () => undefined,
  saw: (kind, k, version) => {
    const v = map.get(keyOfK(k)) as { version?: string } | undefined;
    return kind === 1 ? v === undefined : v?.version === version;
  },
});

// One sequence across every run: each write changes the set (no version is written twice), and
// a run that ends on a delete leaves the re-add to the next one.
let op = 0;

/**
 * Drives churn one write at a time and waits for the consumer to see each: change one instance's
 * version, delete another, re-add it.
 */
const churnWith = async (
  write: (op: number, k: number, v: string) => Promise<void>,
  seen: Seen,
): Promise<Churn> => {
  const drive = async (events: number): Promise<void> => {
    for (let i = 0; i < events; i++, op++) {
      const triple = Math.floor(op / 3);
      const k =
        op % 3 === 0 ? (triple * 7_919) % ZK_SIZES.instances : (triple * 104_729 + 1) % ZK_SIZES.instances;
      seen.mark();
      await write(op % 3, k, `v${op}`);
      const deadline = Date.now() + 10_000;
      while (!seen.saw(op % 3, k, `v${op}`)) {
        if (Date.now() > deadline) throw new Error(`churn: op ${op} not seen within 10 s`);
        await new Promise((r) => setImmediate(r));
      }
    }
  };
  await drive(ZK_SIZES.churnWarmup);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(ZK_SIZES.churnEvents);
  return { events: ZK_SIZES.churnEvents, cpuMs: cpuSince(c0), wallMs: performance.now() - t0 };
};

/** An rxnaming consumer: counts emissions of `build(APP).instances$`. */
const rxConsumer = async (naming: Naming): Promise<{ seen: Seen; close: () => Promise<void> }> => {
  let emissions = 0;
  let latest: InstancesInfo | undefined;
  const sub = naming.build(APP).instances$.subscribe((info) => {
    latest = info;
    emissions++;
  });
  const deadline = Date.now() + 30_000;
  while (latest?.instances.length !== ZK_SIZES.instances) {
    if (Date.now() > deadline) throw new Error("rxnaming consumer: first set incomplete");
    await new Promise((r) => setTimeout(r, 10));
  }
  // Every write changes the set, and the set changes once per write: count emissions (reading
  // the set itself would build its flat array, O(n), which a consumer need not do).
  let marked = 0;
  return {
    seen: { mark: () => (marked = emissions), saw: () => emissions > marked },
    close: async () => {
      sub.unsubscribe();
      await naming.close();
    },
  };
};

/**
 * The hand-written ZooKeeper consumer, as small as it can be and still right: `getChildren` with
 * a watcher, `getData` with a watcher on each child, a Map of parsed values; re-list on a children
 * event (reading only new children), re-read on a data event.
 */
const rawZkConsumer = async (client: Client): Promise<{ seen: Seen; close: () => void }> => {
  const map = new Map<string, unknown>();
  let stopped = false;
  const readChild = async (name: string): Promise<void> => {
    try {
      const data = await zk<Buffer>((done) =>
        client.getData(`${appPath}/${name}`, watcher, (e, d) => done(e, d)),
      );
      map.set(name, JSON.parse(data.toString("utf8")));
    } catch {
      map.delete(name); // gone meanwhile
    }
  };
  const list = async (): Promise<void> => {
    const names = await zk<string[]>((done) => client.getChildren(appPath, watcher, (e, c) => done(e, c)));
    const now = new Set(names);
    for (const name of [...map.keys()]) if (!now.has(name)) map.delete(name);
    await Promise.all(names.filter((n) => !map.has(n)).map(readChild));
  };
  function watcher(event: Event): void {
    if (stopped) return;
    const path = event.getPath();
    void (path === appPath ? list() : readChild(path.slice(appPath.length + 1)));
  }
  await list();
  if (map.size !== ZK_SIZES.instances) throw new Error(`raw ZooKeeper consumer read ${map.size}`);
  return { seen: seenInMap(map, hostname), close: () => void (stopped = true) };
};

export const runZooKeeperBench = async (): Promise<ZkBenchResults> => {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const [etcd, zkServer] = await Promise.all([startEtcd(), startZooKeeper()]);
  const etcdAdmin = new Etcd3({ hosts: [etcd.endpoint] });
  const zkAdmin = await connectZk(zkServer.hostPort);
  try {
    log(`seeding ${ZK_SIZES.instances} instances in etcd and in ZooKeeper...`);
    await zk<string>((done) => zkAdmin.mkdirp(appPath, done));
    await bounded(ZK_SIZES.instances, 64, (k) => etcdAdmin.put(keyOf(k)).value(value(k)).exec());
    await bounded(ZK_SIZES.instances, 256, (k) =>
      zk<string>((done) => zkAdmin.create(keyOf(k), Buffer.from(value(k)), done)),
    );

    log("cold start...");
    const etcdClient = new Etcd3(etcdClientOptions({ hosts: [etcd.endpoint] }));
    await etcdClient.get("/warm-up").exec();
    const zkClient = await connectZk(zkServer.hostPort);
    const cold = {
      "etcd-raw": await timeCold(async () => {
        const res = await etcdClient.getAll().prefix(`${appPath}/`).exec();
        const parsed = res.kvs.map((kv) => JSON.parse(kv.value.toString()) as unknown);
        if (parsed.length !== ZK_SIZES.instances) throw new Error(`etcd raw read ${parsed.length}`);
        return async () => undefined;
      }),
      "etcd-rxnaming": await timeCold(() =>
        firstFullSet(etcdNaming(etcdClient, { prefix: ROOT, lingerMs: 0 })),
      ),
      "zk-raw": await timeCold(async () => {
        const names = await zk<string[]>((done) => zkClient.getChildren(appPath, (e, c) => done(e, c)));
        const parsed = await Promise.all(
          names.map(async (n) => {
            const data = await zk<Buffer>((done) =>
              zkClient.getData(`${appPath}/${n}`, (e, d) => done(e, d)),
            );
            return JSON.parse(data.toString("utf8")) as unknown;
          }),
        );
        if (parsed.length !== ZK_SIZES.instances) throw new Error(`zk raw read ${parsed.length}`);
        return async () => undefined;
      }),
      // The naming owns its client: its time includes making a ZooKeeper session.
      "zk-rxnaming": await timeCold(() =>
        firstFullSet(zookeeperNaming({ servers: zkServer.hostPort, root: ROOT, lingerMs: 0 })),
      ),
    };

    log("churn...");
    const etcdWrite = async (kind: number, k: number, v: string): Promise<void> => {
      const key = keyOf(k);
      if (kind === 1) await etcdAdmin.delete().key(key).exec();
      else await etcdAdmin.put(key).value(value(k, v)).exec();
    };
    const zkWrite = async (kind: number, k: number, v: string): Promise<void> => {
      const key = keyOf(k);
      if (kind === 0) await zk<Stat>((done) => zkAdmin.setData(key, Buffer.from(value(k, v)), -1, done));
      else if (kind === 1) await zk<void>((done) => zkAdmin.remove(key, -1, (e) => done(e, undefined)));
      else await zk<string>((done) => zkAdmin.create(key, Buffer.from(value(k, v)), done));
    };
    const churn = {} as ZkBenchResults["churn"];
    {
      // A client of its own, as the discovery bench's raw consumer has.
      const raw = new Etcd3({ hosts: [etcd.endpoint] });
      const map = new Map<string, unknown>();
      const res = await raw.getAll().prefix(`${appPath}/`).exec();
      for (const kv of res.kvs) map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
      const watcher = await raw
        .watch()
        .prefix(`${appPath}/`)
        .startRevision(String(Number(res.header.revision) + 1))
        .create();
      watcher
        .on("put", (kv: IKeyValue) => {
          map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
        })
        .on("delete", (kv: IKeyValue) => {
          map.delete(kv.key.toString());
        });
      churn["etcd-raw"] = await churnWith(etcdWrite, seenInMap(map, keyOf));
      await watcher.cancel();
      raw.close();
    }
    {
      const client = new Etcd3(etcdClientOptions({ hosts: [etcd.endpoint] }));
      const consumer = await rxConsumer(etcdNaming(client, { prefix: ROOT, lingerMs: 0 }));
      churn["etcd-rxnaming"] = await churnWith(etcdWrite, consumer.seen);
      await consumer.close();
      client.close();
    }
    {
      const consumer = await rawZkConsumer(zkClient);
      churn["zk-raw"] = await churnWith(zkWrite, consumer.seen);
      consumer.close();
    }
    {
      const consumer = await rxConsumer(
        zookeeperNaming({ servers: zkServer.hostPort, root: ROOT, lingerMs: 0 }),
      );
      churn["zk-rxnaming"] = await churnWith(zkWrite, consumer.seen);
      await consumer.close();
    }
    etcdClient.close();
    zkClient.close();
    return {
      date: new Date().toISOString(),
      instances: ZK_SIZES.instances,
      cold,
      churn,
      seconds: (performance.now() - started) / 1000,
      load: [loadBefore, loadavg()[0]!],
    };
  } finally {
    etcdAdmin.close();
    zkAdmin.close();
    await Promise.all([etcd.dispose(), zkServer.dispose()]);
  }
};
