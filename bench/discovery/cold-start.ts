/**
 * Scenario 2: cold start of an app with 10,000 instances. rxnaming: from subscribing to a fresh
 * naming's `build(app).instances$` until the first emission holds every instance (range read,
 * decode, validation, sort; the flat array read once). Raw: `getAll().prefix(p).exec()` and a
 * `JSON.parse` of each value. The two alternate on one client; each run starts after a full GC.
 */
import { Etcd3 } from "etcd3";
import { etcdClientOptions, etcdNaming } from "../../src/index.js";
import { gc } from "./child-support.js";
import { appPrefix, cpuMs, type ColdStartParams, type ColdStartResult } from "./fixtures.js";

export const coldStart = async (p: ColdStartParams): Promise<ColdStartResult> => {
  const client = new Etcd3(
    etcdClientOptions({
      hosts: [p.endpoint],
      ...(p.maxReceiveBytes !== undefined && {
        grpcOptions: { "grpc.max_receive_message_length": p.maxReceiveBytes },
      }),
    }),
  );
  await client.get("/warm-up").exec();
  const result = {
    raw: [] as number[],
    rxnaming: [] as number[],
    rawCpu: [] as number[],
    rxnamingCpu: [] as number[],
  };

  // Each run returns its untimed cleanup.
  const raw = async (): Promise<() => Promise<void>> => {
    const res = await client.getAll().prefix(appPrefix(p.app)).exec();
    const parsed = new Array<unknown>(res.kvs.length);
    for (let i = 0; i < res.kvs.length; i++) parsed[i] = JSON.parse(res.kvs[i]!.value.toString());
    if (parsed.length !== p.instances) throw new Error(`raw read ${parsed.length} instances`);
    return async () => undefined;
  };
  const rx = async (): Promise<() => Promise<void>> => {
    // The deadline of the range is the bench's choice (a range of 100,000 under load can take
    // seconds); it costs nothing when it does not fire.
    const naming = etcdNaming(client, { lingerMs: 0, requestTimeoutMs: 60_000 });
    await new Promise<void>((resolve, reject) => {
      const sub = naming.build(p.app).instances$.subscribe({
        next: (info) => {
          if (info.instances.length !== p.instances) {
            reject(new Error(`rxnaming's first set has ${info.instances.length} instances`));
          }
          resolve();
          queueMicrotask(() => sub.unsubscribe());
        },
        error: reject,
      });
    });
    return () => naming.close();
  };

  const timed = async (
    run: () => Promise<() => Promise<void>>,
    wall: number[],
    cpu: number[],
    keep: boolean,
  ): Promise<void> => {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const cleanup = await run();
    const t1 = performance.now();
    const c1 = cpuMs(c0);
    await cleanup();
    if (keep) {
      wall.push(t1 - t0);
      cpu.push(c1);
    }
  };
  for (let i = 0; i < p.warmup + p.reps; i++) {
    const keep = i >= p.warmup;
    const order = i % 2 === 0 ? (["raw", "rx"] as const) : (["rx", "raw"] as const);
    for (const which of order) {
      if (which === "raw") await timed(raw, result.raw, result.rawCpu, keep);
      else await timed(rx, result.rxnaming, result.rxnamingCpu, keep);
    }
  }
  client.close();
  return result;
};
