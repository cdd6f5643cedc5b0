/**
 * Scenario 1: N consumers of one appid. rxnaming: N subscribers of one `build(app).instances$`
 * (or N `build(app)`, one each); raw: one `etcd3` prefix watcher per consumer; floor: N
 * subscribers of a bare `ReplaySubject(1)`; raw-fanout: one raw watcher whose values a bare
 * `ReplaySubject(1)` fans out to N subscribers (the floor of any RxJS fan-out); kratos: the Kratos strategy ported (./kratos-port.ts),
 * one watch per consumer and a full prefix Get on every event. Setup time, heap per consumer, etcd
 * watchers added, and the latency from a put until the last consumer saw it.
 */
import { Etcd3, type Watcher } from "etcd3";
import { ReplaySubject, type Subscription } from "rxjs";
import { etcdClientOptions, etcdNaming, type InstancesInfo, type Naming } from "../../src/index.js";
import { Countdown, metric, metrics, settledHeap } from "./child-support.js";
import { KratosWatcher } from "./kratos-port.js";
import {
  appPrefix,
  cpuMs,
  keyOf,
  sortedCopy,
  valueOf,
  type ConsumersParams,
  type ConsumersResult,
} from "./fixtures.js";

/** What every kind of consumer keeps: the latest thing it saw, and how many it saw. */
interface Consumer {
  latest: unknown;
  seen: number;
}

export const consumers = async (p: ConsumersParams): Promise<ConsumersResult> => {
  const countdown = new Countdown();
  const writer = new Etcd3({ hosts: [p.endpoint] });
  const isRx = p.variant === "rxnaming" || p.variant === "rxnaming-builds";
  const client =
    p.variant === "floor"
      ? undefined
      : new Etcd3(isRx ? etcdClientOptions({ hosts: [p.endpoint] }) : { hosts: [p.endpoint] });
  // Both connections up before anything is timed or weighed.
  await writer.get("/warm-up").exec();
  await client?.get("/warm-up").exec();

  const subscriptions: Subscription[] = [];
  const watchers: Watcher[] = [];
  const kratos: KratosWatcher[] = [];
  let kratosError: unknown;
  const kept: Consumer[] = [];
  let naming: Naming | undefined;
  let subject: ReplaySubject<InstancesInfo> | undefined;

  const m0 = p.variant === "floor" ? undefined : await metrics(p.metricsUrl);
  const heap0 = await settledHeap();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let loopEnd = 0;
  const onInfo = (c: Consumer) => (info: InstancesInfo) => {
    c.latest = info;
    c.seen++;
    countdown.hit();
  };
  switch (p.variant) {
    case "rxnaming":
    case "rxnaming-builds": {
      naming = etcdNaming(client!, { lingerMs: 0 });
      const first = countdown.expect(p.consumers);
      const shared = naming.build(p.app);
      for (let i = 0; i < p.consumers; i++) {
        const c: Consumer = { latest: undefined, seen: 0 };
        kept.push(c);
        const resolver = p.variant === "rxnaming" ? shared : naming.build(p.app);
        subscriptions.push(resolver.instances$.subscribe(onInfo(c)));
      }
      loopEnd = performance.now();
      await first;
      break;
    }
    case "raw": {
      const created: Promise<Watcher>[] = [];
      for (let i = 0; i < p.consumers; i++) {
        const c: Consumer = { latest: undefined, seen: 0 };
        kept.push(c);
        created.push(
          client!
            .watch()
            .prefix(appPrefix(p.app))
            .create()
            .then((w) =>
              w.on("put", (kv) => {
                c.latest = JSON.parse(kv.value.toString());
                c.seen++;
                countdown.hit();
              }),
            ),
        );
      }
      loopEnd = performance.now();
      watchers.push(...(await Promise.all(created)));
      break;
    }
    case "kratos": {
      const first = countdown.expect(p.consumers);
      const started: Promise<KratosWatcher>[] = [];
      for (let i = 0; i < p.consumers; i++) {
        const c: Consumer = { latest: undefined, seen: 0 };
        kept.push(c);
        started.push(
          KratosWatcher.start(
            client!,
            appPrefix(p.app),
            (w) => {
              c.latest = w.latest;
              c.seen++;
              countdown.hit();
            },
            (e) => (kratosError ??= e),
          ),
        );
      }
      loopEnd = performance.now();
      kratos.push(...(await Promise.all(started)));
      await first;
      break;
    }
    case "raw-fanout": {
      // What one writes by hand with RxJS: one raw watcher, its values fanned out by a bare
      // ReplaySubject(1). The latency floor of any RxJS fan-out to this many subscribers.
      subject = new ReplaySubject<InstancesInfo>(1);
      const fan = subject;
      for (let i = 0; i < p.consumers; i++) {
        const c: Consumer = { latest: undefined, seen: 0 };
        kept.push(c);
        subscriptions.push(fan.subscribe(onInfo(c)));
      }
      loopEnd = performance.now();
      const w = await client!.watch().prefix(appPrefix(p.app)).create();
      w.on("put", (kv) => fan.next(JSON.parse(kv.value.toString()) as InstancesInfo));
      watchers.push(w);
      break;
    }
    case "floor": {
      subject = new ReplaySubject<InstancesInfo>(1);
      subject.next({ appId: p.app, instances: [], revision: "1" });
      const first = countdown.expect(p.consumers);
      for (let i = 0; i < p.consumers; i++) {
        const c: Consumer = { latest: undefined, seen: 0 };
        kept.push(c);
        subscriptions.push(subject.subscribe(onInfo(c)));
      }
      loopEnd = performance.now();
      await first;
      break;
    }
  }
  const setupMs = performance.now() - t0;
  const setupCpuMs = cpuMs(c0);
  const heap1 = await settledHeap();
  const m1 = p.variant === "floor" ? undefined : await metrics(p.metricsUrl);
  const delta = (name: string): number => (m0 && m1 ? metric(m1, name) - metric(m0, name) : 0);

  const latencies: number[] = [];
  if (p.variant !== "floor") {
    const key = keyOf(p.app, 0);
    for (let i = 0; i < p.warmupPuts + p.samples; i++) {
      const seen = countdown.expect(p.consumers);
      const start = performance.now();
      await writer
        .put(key)
        .value(valueOf(p.app, 0, `latency-${i}-${p.variant}`))
        .exec();
      const end = await seen;
      if (i >= p.warmupPuts) latencies.push(end - start);
    }
  }

  for (const s of subscriptions) s.unsubscribe();
  await naming?.close();
  await Promise.all(watchers.map((w) => w.cancel()));
  await Promise.all(kratos.map((w) => w.cancel()));
  client?.close();
  writer.close();
  if (kept.some((c) => c.seen === 0 && p.variant !== "raw" && p.variant !== "raw-fanout"))
    throw new Error("a consumer saw nothing");
  if (kratosError !== undefined) throw kratosError;

  return {
    variant: p.variant,
    consumers: p.consumers,
    setupMs,
    setupCpuMs,
    subscribeMs: loopEnd - t0,
    heapBytes: (heap1 - heap0) / p.consumers,
    watchersAdded: delta("etcd_debugging_mvcc_watcher_total"),
    watchStreamsAdded: delta("etcd_debugging_mvcc_watch_stream_total"),
    latencies: sortedCopy(latencies),
  };
};
