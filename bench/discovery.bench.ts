/**
 * Discovery and registration against raw `etcd3`, in the same run, on an etcd this file starts:
 * 1,000 and 10,000 consumers of one appid (etcd watchers, heap, setup, put latency), cold start of
 * 10,000 instances, CPU per watch event under churn, 1,000 registrations in steady state, a gateway
 * of 1,000 apps in one process, and 100,000 instances of one app (heap, cold start); beside raw
 * `etcd3`, the Kratos strategy ported to TypeScript (a watch per consumer, a Get per event).
 *
 * Run: npm run bench (or npx vitest bench --run --project bench bench/discovery.bench.ts)
 *
 * The scenarios (bench/discovery/) run in `beforeAll`, each in its own `node --expose-gc`
 * process, and write their tables into BENCHMARKS.md under "## Discovery and registration".
 * The vitest benches below are the in-process part of the churn scenario (no etcd), for a quick
 * look at the consumer's own cost per event.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, bench, describe } from "vitest";
import { renderSection, writeSection } from "./discovery/report.js";
import { cacheDir, runDiscoveryBench, SIZES } from "./discovery/run.js";
import { appSetConsumer, churnEvents, mapConsumer } from "./discovery/micro.js";

// How this run was started: `npm run bench` (with the balancer bench), or vitest on this file.
const COMMAND =
  process.env.npm_lifecycle_event === "bench"
    ? "npm run bench"
    : "npx vitest bench --run --project bench bench/discovery.bench.ts";

beforeAll(async () => {
  if (process.env.BENCH_DISCOVERY === "0") return;
  const results = await runDiscoveryBench();
  writeFileSync(join(cacheDir, "results.json"), JSON.stringify(results, null, 2));
  const section = renderSection(results, COMMAND);
  // A BENCH_QUICK smoke run prints its table but leaves BENCHMARKS.md alone.
  if (process.env.BENCH_QUICK !== "1")
    writeSection(join(import.meta.dirname, "..", "BENCHMARKS.md"), section);
  process.stdout.write(`\n${section}\n\n`);
  // ~4 minutes on a quiet 2-core machine; the limit leaves room for a loaded one.
}, 1_200_000);

describe(`churn in process, ${SIZES.instances.toLocaleString("en-US")} instances, one event per op (no etcd)`, () => {
  const events = churnEvents(SIZES.instances, 60_000);
  const cycle = (apply: (e: (typeof events)[number]) => void): (() => void) => {
    let i = 0;
    return () => apply(events[i++ % events.length]!);
  };
  bench("Map.set(JSON.parse) / Map.delete", cycle(mapConsumer(SIZES.instances)));
  bench("rxnaming AppSet.applyBatch", cycle(appSetConsumer(SIZES.instances, false)));
  bench("rxnaming AppSet.applyBatch + info.instances", cycle(appSetConsumer(SIZES.instances, true)));
});
