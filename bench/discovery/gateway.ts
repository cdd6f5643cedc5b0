/**
 * Scenario 5: a gateway, one process watching 1,000 apps of 10 instances each. rxnaming: one
 * naming, one subscriber of `build(app).instances$` per app; raw: what one writes by hand with
 * `etcd3`, per app a range read into a `Map` of the parsed values and a prefix watch from the
 * revision after it that keeps the Map. Setup until every app has its set, heap per app, the etcd
 * watchers and watch streams it costs (etcd's /metrics), and how fast a put to one app reaches
 * that app's consumer among all the others.
 */
import { Etcd3, type IKeyValue, type Watcher } from "etcd3";
import type { Subscription } from "rxjs";
import { etcdClientOptions, etcdNaming, type InstancesInfo, type Naming } from "../../src/index.js";
import { metric, metrics, settledHeap } from "./child-support.js";
import {
  appPrefix,
  gatewayApp,
  hostname,
  keyOf,
  sleep,
  sortedCopy,
  valueOf,
  type GatewayParams,
  type GatewayResult,
} from "./fixtures.js";

export const gateway = async (p: GatewayParams): Promise<GatewayResult> => {
  const isRx = p.variant === "rxnaming";
  const client = new Etcd3(isRx ? etcdClientOptions({ hosts: [p.endpoint] }) : { hosts: [p.endpoint] });
  const writer = new Etcd3({ hosts: [p.endpoint] });
  await client.get("/warm-up").exec();
  await writer.get("/warm-up").exec();
  const host0 = hostname(0);
  const apps = Array.from({ length: p.apps }, (_, i) => gatewayApp(i));

  // What a put to app i is waiting for: the consumer of app i seeing `version`.
  let waitingFor: { app: number; version: string; resolve: (t: number) => void } | undefined;
  const saw = (app: number, version: string | undefined): void => {
    if (waitingFor !== undefined && waitingFor.app === app && waitingFor.version === version) {
      const w = waitingFor;
      waitingFor = undefined;
      w.resolve(performance.now());
    }
  };

  const subscriptions: Subscription[] = [];
  const latest: (InstancesInfo | undefined)[] = new Array(p.apps).fill(undefined);
  const maps: Map<string, { version?: string }>[] = [];
  const watchers: Watcher[] = [];
  let naming: Naming | undefined;
  /** What went wrong on the way, and was ridden out: rxnaming's errors$, raw watchers' errors. */
  const faults: string[] = [];

  const m0 = await metrics(p.metricsUrl);
  const heap0 = await settledHeap();
  const t0 = performance.now();
  if (isRx) {
    naming = etcdNaming(client, { lingerMs: 0 });
    naming.errors$.subscribe((e) => faults.push(e.message));
    await new Promise<void>((resolve, reject) => {
      let pending = p.apps;
      apps.forEach((app, i) => {
        subscriptions.push(
          naming!.build(app).instances$.subscribe({
            next: (info) => {
              if (latest[i] === undefined && --pending === 0) resolve();
              latest[i] = info;
              saw(i, info.instances.find((x) => x.hostname === host0)?.version);
            },
            error: reject,
          }),
        );
      });
    });
  } else {
    await Promise.all(
      apps.map(async (app, i) => {
        const map = new Map<string, { version?: string }>();
        maps.push(map);
        const res = await client.getAll().prefix(appPrefix(app)).exec();
        for (const kv of res.kvs) map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
        const watcher = await client
          .watch()
          .prefix(appPrefix(app))
          .startRevision(String(Number(res.header.revision) + 1))
          .create();
        watcher
          .on("put", (kv: IKeyValue) => {
            const value = JSON.parse(kv.value.toString()) as { version?: string };
            map.set(kv.key.toString(), value);
            if (kv.key.toString() === keyOf(app, 0)) saw(i, value.version);
          })
          .on("delete", (kv: IKeyValue) => map.delete(kv.key.toString()))
          .on("error", (e: Error) => faults.push(e.message))
          .on("disconnected", () => faults.push("watcher disconnected"));
        watchers.push(watcher);
      }),
    );
  }
  const setupMs = performance.now() - t0;
  // Every app has its set; etcd may still be creating the last watches (each starts from the
  // revision of its app's range). Wait, with a deadline, until it counts one watcher per app.
  const watchersNow = async (): Promise<number> =>
    metric(await metrics(p.metricsUrl), "etcd_debugging_mvcc_watcher_total") -
    metric(m0, "etcd_debugging_mvcc_watcher_total");
  while ((await watchersNow()) < p.apps && performance.now() - t0 < setupMs + 20_000) await sleep(50);
  const watchesMs = performance.now() - t0;
  const heap1 = await settledHeap();
  const m1 = await metrics(p.metricsUrl);
  const delta = (name: string): number => metric(m1, name) - metric(m0, name);

  const sizes = isRx ? latest.map((l) => l?.instances.length ?? 0) : maps.map((m) => m.size);
  if (sizes.length !== p.apps || sizes.some((s) => s !== p.perApp)) {
    throw new Error(`not every app has its ${p.perApp} instances`);
  }

  const latencies: number[] = [];
  for (let s = 0; s < p.samples; s++) {
    const app = (s * 389) % p.apps; // spread over the apps
    const version = `gw-${s}-${p.variant}`;
    const seen = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`app ${app} did not see its put`)), 15_000);
      waitingFor = {
        app,
        version,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
    });
    const start = performance.now();
    await writer
      .put(keyOf(gatewayApp(app), 0))
      .value(valueOf(gatewayApp(app), 0, version))
      .exec();
    latencies.push((await seen) - start);
  }

  for (const s of subscriptions) s.unsubscribe();
  await naming?.close();
  await Promise.all(watchers.map((w) => w.cancel()));
  client.close();
  writer.close();
  return {
    variant: p.variant,
    apps: p.apps,
    setupMs,
    watchesMs,
    faults: faults.length,
    ...(faults[0] !== undefined && { firstFault: faults[0].slice(0, 160) }),
    heapBytes: heap1 - heap0,
    watchersAdded: delta("etcd_debugging_mvcc_watcher_total"),
    watchStreamsAdded: delta("etcd_debugging_mvcc_watch_stream_total"),
    latencies: sortedCopy(latencies),
  };
};
