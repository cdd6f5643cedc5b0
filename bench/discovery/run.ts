/**
 * The discovery and registration benchmarks, rxnaming against raw `etcd3` in the same run, on an
 * etcd this bench starts (test/harness). Run by `npm run bench` (../discovery.bench.ts).
 *
 * Every scenario runs in its own `node --expose-gc` process on the compiled sources, so that heap
 * can be weighed after a full GC and `process.cpuUsage()` is the consumer's CPU alone: the
 * churn is driven from this process, on another client. BENCH_CPU_PROF=1 writes a .cpuprofile
 * of every scenario process to node_modules/.cache/rxnaming-bench/profiles.
 */
import { fork, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Etcd3 } from "etcd3";
import { startEtcd } from "../../test/harness/index.js";
import {
  gatewayApp,
  keyOf,
  median,
  sortedCopy,
  valueOf,
  type ChildMessage,
  type ChurnResult,
  type ChurnVariant,
  type ColdStartResult,
  type ConsumersResult,
  type ConsumersVariant,
  type GatewayResult,
  type GatewayVariant,
  type HeapResult,
  type HeapVariant,
  type MicroResult,
  type ParentMessage,
  type RegistrationsResult,
  type RegistrationsVariant,
  type ScenarioParams,
} from "./fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
/** Compiled scenarios: under node_modules so that eslint and prettier never see them. */
export const cacheDir = join(root, "node_modules/.cache/rxnaming-bench");
const distDir = join(cacheDir, "dist");

/**
 * Sizes of every scenario, so that the whole `npm run bench` stays within ~6 minutes on 2 cores.
 * BENCH_QUICK=1 shrinks them (a smoke run of the bench itself; its numbers mean nothing).
 */
const FULL = {
  consumers: 1_000,
  latencyWarmup: 20,
  /** Rounds of the latency rows, alternating processes so that load drifts hit every row alike. */
  latencyRounds: 3,
  latencySamples: 100,
  /** The consumers at scale: rxnaming in every round; raw (~0.7 s a put) once, with few puts. */
  largeConsumers: 10_000,
  largeRawWarmup: 2,
  largeRawSamples: 8,
  /** The Kratos strategy with `consumers` consumers does that many Gets a put: fewer puts. */
  kratosWarmup: 5,
  kratosSamples: 20,
  instances: 10_000,
  coldWarmup: 2,
  coldReps: 8,
  churnWarmup: 300,
  churnEvents: 3_000,
  /** The Kratos strategy reads all 10,000 instances on every event (~0.2 s each): fewer events. */
  kratosChurnWarmup: 10,
  kratosChurnEvents: 60,
  registrations: 1_000,
  ttlSeconds: 10,
  windowMs: 10_000,
  microEvents: 20_000,
  gatewayApps: 1_000,
  gatewayPerApp: 10,
  gatewayRounds: 2,
  gatewaySamples: 50,
  hugeInstances: 100_000,
  hugeWarmup: 1,
  hugeReps: 3,
};
const QUICK: typeof FULL = {
  ...FULL,
  consumers: 100,
  latencyRounds: 1,
  latencySamples: 30,
  largeConsumers: 1_000,
  kratosSamples: 10,
  instances: 1_000,
  coldReps: 2,
  churnWarmup: 30,
  churnEvents: 300,
  kratosChurnWarmup: 3,
  kratosChurnEvents: 20,
  registrations: 100,
  windowMs: 2_000,
  microEvents: 2_000,
  gatewayApps: 100,
  gatewayRounds: 1,
  gatewaySamples: 10,
  hugeInstances: 5_000,
  hugeReps: 1,
};

/** grpc-js refuses messages over 4 MB by default; a range of 100,000 instances is ~35 MB. */
export const HUGE_MAX_RECEIVE_BYTES = 256 * 1024 * 1024;
export const SIZES: Readonly<typeof FULL> = process.env.BENCH_QUICK === "1" ? QUICK : FULL;

export interface DiscoveryResults {
  readonly date: string;
  /** The code measured: HEAD and whether src/ had uncommitted changes. */
  readonly code: string;
  readonly etcdVersion: string;
  readonly consumers: Record<string, ConsumersResult>;
  readonly coldStart: ColdStartResult;
  readonly churn: Record<string, ChurnResult & { drivenEvents: number }>;
  readonly micro: MicroResult;
  readonly registrations: Record<string, RegistrationsResult>;
  /** Median of the rounds (setup, heap), latencies pooled. */
  readonly gateway: Record<GatewayVariant, GatewayResult>;
  readonly heap: Record<HeapVariant, HeapResult>;
  readonly hugeColdStart: ColdStartResult;
  readonly seconds: number;
  /** 1-minute load average at the start and at the end (other work on the machine skews the numbers). */
  readonly load: readonly [number, number];
}

const began = performance.now();
const log = (line: string): void => {
  process.stdout.write(`[discovery bench] ${((performance.now() - began) / 1000).toFixed(0)} s: ${line}\n`);
};

const compile = (): void => {
  rmSync(distDir, { recursive: true, force: true });
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const out = spawnSync(
    process.execPath,
    [tsc, "-p", join(here, "tsconfig.child.json"), "--outDir", distDir],
    { cwd: root, encoding: "utf8" },
  );
  if (out.status !== 0) throw new Error(`tsc failed:\n${out.stdout}${out.stderr}`);
};

/** One scenario process, with its messages. */
class Child {
  private readonly messages: ChildMessage[] = [];
  private waiting: ((m: ChildMessage) => void) | undefined;
  private readonly proc;
  private readonly exited: Promise<void>;

  constructor(params: ScenarioParams, timeoutMs = 300_000) {
    const prof =
      process.env.BENCH_CPU_PROF === "1"
        ? [
            "--cpu-prof",
            `--cpu-prof-dir=${join(cacheDir, "profiles")}`,
            `--cpu-prof-name=${label(params)}.cpuprofile`,
          ]
        : [];
    this.proc = fork(join(distDir, "bench/discovery/child.js"), [JSON.stringify(params)], {
      execArgv: ["--expose-gc", ...prof],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    this.exited = new Promise((resolve) =>
      this.proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        this.deliver({ type: "error", message: `scenario process exited (code ${code}, signal ${signal})` });
        resolve();
      }),
    );
    this.proc.on("message", (m: ChildMessage) => this.deliver(m));
  }

  private deliver(m: ChildMessage): void {
    if (this.waiting !== undefined) {
      const w = this.waiting;
      this.waiting = undefined;
      w(m);
    } else this.messages.push(m);
  }

  async next(): Promise<ChildMessage> {
    const m =
      this.messages.shift() ?? (await new Promise<ChildMessage>((resolve) => (this.waiting = resolve)));
    if (m.type === "error") throw new Error(`scenario failed: ${m.message}`);
    return m;
  }

  send(m: ParentMessage): void {
    this.proc.send(m);
  }

  async result<T>(): Promise<T> {
    for (;;) {
      const m = await this.next();
      if (m.type === "result") {
        await this.exited;
        return m.result as T;
      }
    }
  }
}

const label = (p: ScenarioParams): string =>
  "variant" in p
    ? `${p.scenario}-${p.variant}${"consumers" in p ? `-${p.consumers}` : ""}`
    : `${p.scenario}${"instances" in p ? `-${p.instances}` : ""}`;

const runScenario = <T>(params: ScenarioParams): Promise<T> => {
  log(`${label(params)}...`);
  return new Child(params).result<T>();
};

/** Writes keys with bounded concurrency. */
const seed = async (client: Etcd3, app: string, count: number): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const k = next++;
      await client.put(keyOf(app, k)).value(valueOf(app, k)).exec();
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
};

/** Writes many keys fast: transactions of 128 puts (etcd's default --max-txn-ops), 4 at a time. */
const seedInBulk = async (client: Etcd3, entries: readonly (readonly [string, string])[]): Promise<void> => {
  const BATCH = 128;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const batch = entries.slice(next, (next += BATCH));
      await client.kv.txn({
        success: batch.map(([key, value]) => ({
          request_put: { key: Buffer.from(key), value: Buffer.from(value) },
        })),
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
};

export const runDiscoveryBench = async (): Promise<DiscoveryResults> => {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  log("compiling the scenarios (tsc)...");
  compile();
  mkdirSync(join(cacheDir, "profiles"), { recursive: true });
  const etcdVersion =
    /etcd Version: (\S+)/.exec(spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1] ??
    "?";
  const etcd = await startEtcd();
  const admin = new Etcd3({ hosts: [etcd.endpoint] });
  const endpoints = { endpoint: etcd.endpoint, metricsUrl: etcd.metricsUrl };
  try {
    // ---- 1. N consumers of one appid (10 instances) ----
    const CONSUMERS_APP = "bench.consumers";
    await seed(admin, CONSUMERS_APP, 10);
    // The rows compared with each other run in rounds, alternating; raw with 1,000 watchers (slow:
    // ~65 ms a put) and the floor (no etcd) run once. Setup and heap: median of the rounds;
    // latencies: all rounds pooled.
    const runs: Record<string, ConsumersResult[]> = {};
    // The Kratos strategy with 1,000 consumers and raw with 10,000 watchers are slow per put (one
    // Get per consumer; 10,000 watch events): they run once, with fewer puts.
    type Run = [ConsumersVariant, number, { warmupPuts: number; samples: number }?];
    const kratosPuts = { warmupPuts: SIZES.kratosWarmup, samples: SIZES.kratosSamples };
    const largeRawPuts = { warmupPuts: SIZES.largeRawWarmup, samples: SIZES.largeRawSamples };
    const consumerRuns = (round: number): Run[] => [
      ["raw", 1],
      ["rxnaming", 1],
      ["kratos", 1],
      ["rxnaming", SIZES.consumers],
      ["rxnaming-builds", SIZES.consumers],
      ["rxnaming", SIZES.largeConsumers],
      ["raw-fanout", SIZES.largeConsumers],
      ...(round === 0
        ? ([
            ["floor", SIZES.consumers],
            ["raw", SIZES.consumers],
            ["kratos", SIZES.consumers, kratosPuts],
            ["raw", SIZES.largeConsumers, largeRawPuts],
          ] as Run[])
        : []),
    ];
    for (let round = 0; round < SIZES.latencyRounds; round++) {
      for (const [variant, n, puts] of consumerRuns(round)) {
        (runs[`${variant}-${n}`] ??= []).push(
          await runScenario<ConsumersResult>({
            scenario: "consumers",
            ...endpoints,
            variant,
            app: CONSUMERS_APP,
            consumers: n,
            warmupPuts: puts?.warmupPuts ?? SIZES.latencyWarmup,
            samples: puts?.samples ?? SIZES.latencySamples,
          }),
        );
      }
    }
    const consumers: Record<string, ConsumersResult> = {};
    for (const [key, rs] of Object.entries(runs)) {
      consumers[key] = {
        ...rs[0]!,
        setupMs: median(rs.map((r) => r.setupMs)),
        setupCpuMs: median(rs.map((r) => r.setupCpuMs)),
        subscribeMs: median(rs.map((r) => r.subscribeMs)),
        heapBytes: median(rs.map((r) => r.heapBytes)),
        latencies: sortedCopy(rs.flatMap((r) => r.latencies)),
      };
    }

    // ---- 2. cold start of 10,000 instances ----
    const BIG_APP = "bench.big";
    log(`seeding ${SIZES.instances} instances...`);
    await seed(admin, BIG_APP, SIZES.instances);
    const coldStart = await runScenario<ColdStartResult>({
      scenario: "cold-start",
      ...endpoints,
      app: BIG_APP,
      instances: SIZES.instances,
      warmup: SIZES.coldWarmup,
      reps: SIZES.coldReps,
    });

    // ---- 3. churn with 10,000 instances ----
    const churn: Record<string, ChurnResult & { drivenEvents: number }> = {};
    let op = 0;
    /** One put or delete at a time: each is its own watch response. Returns the last revision. */
    const drive = async (events: number): Promise<number> => {
      let revision = 0;
      for (let i = 0; i < events; i++, op++) {
        const triple = Math.floor(op / 3);
        const a = (triple * 7_919) % SIZES.instances;
        const b = (triple * 104_729 + 1) % SIZES.instances;
        const res =
          op % 3 === 0
            ? await admin
                .put(keyOf(BIG_APP, a))
                .value(valueOf(BIG_APP, a, `v${op}`))
                .exec()
            : op % 3 === 1
              ? await admin.delete().key(keyOf(BIG_APP, b)).exec()
              : await admin
                  .put(keyOf(BIG_APP, b))
                  .value(valueOf(BIG_APP, b, `r${op}`))
                  .exec();
        revision = Number(res.header.revision);
      }
      return revision;
    };
    for (const variant of ["raw-map", "rxnaming", "rxnaming-read", "kratos"] as ChurnVariant[]) {
      log(`churn-${variant}...`);
      const [warmup, events] =
        variant === "kratos"
          ? [SIZES.kratosChurnWarmup, SIZES.kratosChurnEvents]
          : [SIZES.churnWarmup, SIZES.churnEvents];
      op = 0; // every variant sees the same sequence (values differ by nothing but the revision)
      const child = new Child({
        scenario: "churn",
        ...endpoints,
        variant,
        app: BIG_APP,
        instances: SIZES.instances,
      });
      const ready = await child.next();
      if (ready.type !== "ready") throw new Error(`churn: expected ready, got ${ready.type}`);
      child.send({ type: "until", revision: await drive(warmup), measure: false });
      await child.next(); // seen
      child.send({ type: "until", revision: await drive(events), measure: true });
      churn[variant] = { ...(await child.result<ChurnResult>()), drivenEvents: events };
    }
    // A delete followed by a re-add leaves the set as it was; the last op of a triple is a re-add.

    // ---- the same, in process, without etcd ----
    const micro = await runScenario<MicroResult>({
      scenario: "micro",
      instances: SIZES.instances,
      events: SIZES.microEvents,
    });

    // ---- 4. 1,000 registrations in steady state ----
    const registrations: Record<string, RegistrationsResult> = {};
    for (const variant of ["rxnaming", "raw"] as RegistrationsVariant[]) {
      registrations[variant] = await runScenario<RegistrationsResult>({
        scenario: "registrations",
        ...endpoints,
        variant,
        app: `bench.registrations.${variant}`,
        registrations: SIZES.registrations,
        ttlSeconds: SIZES.ttlSeconds,
        windowMs: SIZES.windowMs,
      });
    }

    // ---- 5. a gateway: 1,000 apps of 10 instances in one process ----
    log(`seeding ${SIZES.gatewayApps} apps of ${SIZES.gatewayPerApp} instances...`);
    await seedInBulk(
      admin,
      Array.from({ length: SIZES.gatewayApps * SIZES.gatewayPerApp }, (_, j) => {
        const app = gatewayApp(Math.floor(j / SIZES.gatewayPerApp));
        const k = j % SIZES.gatewayPerApp;
        return [keyOf(app, k), valueOf(app, k)] as const;
      }),
    );
    const gatewayRuns: Record<string, GatewayResult[]> = {};
    for (let round = 0; round < SIZES.gatewayRounds; round++) {
      const order: GatewayVariant[] = round % 2 === 0 ? ["rxnaming", "raw"] : ["raw", "rxnaming"];
      for (const variant of order) {
        (gatewayRuns[variant] ??= []).push(
          await runScenario<GatewayResult>({
            scenario: "gateway",
            ...endpoints,
            variant,
            apps: SIZES.gatewayApps,
            perApp: SIZES.gatewayPerApp,
            samples: SIZES.gatewaySamples,
          }),
        );
      }
    }
    const gatewayOf = (v: GatewayVariant): GatewayResult => {
      const rs = gatewayRuns[v]!;
      return {
        ...rs[0]!,
        setupMs: median(rs.map((r) => r.setupMs)),
        watchesMs: median(rs.map((r) => r.watchesMs)),
        faults: rs.reduce((sum, r) => sum + r.faults, 0),
        heapBytes: median(rs.map((r) => r.heapBytes)),
        latencies: sortedCopy(rs.flatMap((r) => r.latencies)),
      };
    };
    const gateway = { rxnaming: gatewayOf("rxnaming"), raw: gatewayOf("raw") };

    // ---- 6. 100,000 instances of one app: heap and cold start ----
    const HUGE_APP = "bench.huge";
    log(`seeding ${SIZES.hugeInstances} instances...`);
    await seedInBulk(
      admin,
      Array.from(
        { length: SIZES.hugeInstances },
        (_, k) => [keyOf(HUGE_APP, k), valueOf(HUGE_APP, k)] as const,
      ),
    );
    const heap = {} as Record<HeapVariant, HeapResult>;
    for (const variant of ["map", "rxnaming"] as HeapVariant[]) {
      heap[variant] = await runScenario<HeapResult>({
        scenario: "heap",
        ...endpoints,
        variant,
        app: HUGE_APP,
        instances: SIZES.hugeInstances,
        maxReceiveBytes: HUGE_MAX_RECEIVE_BYTES,
      });
    }
    const hugeColdStart = await runScenario<ColdStartResult>({
      scenario: "cold-start",
      ...endpoints,
      app: HUGE_APP,
      instances: SIZES.hugeInstances,
      warmup: SIZES.hugeWarmup,
      reps: SIZES.hugeReps,
      maxReceiveBytes: HUGE_MAX_RECEIVE_BYTES,
    });

    const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).stdout?.trim();
    const dirty = spawnSync("git", ["status", "--porcelain", "src"], {
      cwd: root,
      encoding: "utf8",
    }).stdout?.trim();
    return {
      date: new Date().toISOString(),
      code: `${head || "?"}${dirty ? " + uncommitted changes in src/" : ""}`,
      etcdVersion,
      consumers,
      coldStart,
      churn,
      micro,
      registrations,
      gateway,
      heap,
      hugeColdStart,
      seconds: (performance.now() - started) / 1000,
      load: [loadBefore, loadavg()[0]!],
    };
  } catch (e) {
    // Say whether etcd itself went away (another suite on the machine, the OOM killer...).
    const child = (etcd as unknown as { child?: { exitCode: number | null; signalCode: string | null } })
      .child;
    log(
      `failed; etcd running: ${etcd.running} (exit code ${child?.exitCode}, signal ${child?.signalCode}); ` +
        `etcd output (tail):\n${etcd.outputTail().slice(-4_000)}`,
    );
    throw e;
  } finally {
    admin.close();
    await etcd.dispose();
  }
};

export { median };
