/**
 * Calls per second through `rxnaming_p2c` against grpc-js's own `round_robin`, on the same three
 * echo servers, in the same run (goal: p2c at least 0.9x of round_robin).
 *
 * Run: npm run bench (or npx vitest bench --run --project bench bench/grpc.bench.ts)
 *
 * The concurrent rounds run in `beforeAll` and write their table into BENCHMARKS.md under
 * "## gRPC" (BENCH_QUICK=1 prints it and leaves the file alone; BENCH_GRPC=0 skips them). The
 * vitest benches below are one call at a time through each policy.
 */
import { execSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { renderGrpcSection, writeGrpcSection } from "./grpc/report.js";
import { echoOnce, GrpcBenchWorld, runGrpcBench } from "./grpc/run.js";

const COMMAND =
  process.env.npm_lifecycle_event === "bench"
    ? "npm run bench"
    : "npx vitest bench --run --project bench bench/grpc.bench.ts";

let world: GrpcBenchWorld | undefined;
const channel = (p: "round_robin" | "rxnaming_p2c") => {
  if (world === undefined) throw new Error("the bench world starts in beforeAll");
  return world.channels[p];
};

beforeAll(async () => {
  world = await GrpcBenchWorld.start();
  if (process.env.BENCH_GRPC === "0") return;
  const results = await runGrpcBench(world);
  let code = "?";
  try {
    code = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout: the code is unknown
  }
  const section = renderGrpcSection(results, COMMAND, code);
  if (process.env.BENCH_QUICK !== "1")
    writeGrpcSection(join(import.meta.dirname, "..", "BENCHMARKS.md"), section);
  process.stdout.write(`\n${section}\n\n`);
}, 300_000);

afterAll(() => world?.close());

describe("one unary call at a time, three echo servers", () => {
  bench("grpc-js round_robin", () => echoOnce(channel("round_robin")).then(() => undefined), { time: 2_000 });
  bench("rxnaming_p2c", () => echoOnce(channel("rxnaming_p2c")).then(() => undefined), { time: 2_000 });
});
