import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The examples import the package by name, as users do; in this repository that name is the sources.
const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const alias = [
  { find: /^rxnaming$/, replacement: src("index.ts") },
  { find: /^rxnaming\/(.*)$/, replacement: src("$1/index.ts") },
];

// Files that take more than about 30 s alone: their own project, run by `npm test` and
// `npm run test:slow`, not by `npm run test:unit` nor by the suite projects.
const slow = [
  "test/etcd/grpc-proxy-processes.test.ts",
  "test/etcd/close-leases.test.ts",
  "test/cli/cli.test.ts",
  "test/cli/command-line.test.ts",
  "test/cli/demo-screen.test.ts",
  "test/cli/hostile-store.test.ts",
  "test/cli/streams.test.ts",
];

// Projects so that each suite can run alone (`npm run test:faults`) and all run in `npm test`.
// The etcd suites start real etcd processes: they run their files one at a time, so that
// two suites never race for the machine's two cores and timing-sensitive fault tests stay honest.
export default defineConfig({
  test: {
    projects: [
      {
        // Projects do not inherit the root config: the alias is the unit project's own.
        resolve: { alias },
        test: {
          name: "unit",
          benchmark: { include: [] },
          include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: [
            "test/etcd/**",
            "test/faults/**",
            "test/harness-selftest/**",
            "test/cli/**",
            "test/**/*.etcd.test.ts",
            "test/zookeeper/**",
            "test/examples/**/*.run.test.ts",
            "test/discovery/**",
          ],
          // Property tests (fast-check, hundreds of runs) take 1-2 s alone and 8 s on a loaded machine.
          testTimeout: 30_000,
        },
      },
      { test: { name: "marble", include: ["marble-tests/**/*.test.ts"], benchmark: { include: [] } } },
      {
        test: {
          name: "etcd",
          benchmark: { include: [] },
          exclude: slow,
          include: [
            "test/etcd/**/*.test.ts",
            "test/harness-selftest/**/*.test.ts",
            "test/cli/**/*.test.ts",
            "test/**/*.etcd.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "faults",
          benchmark: { include: [] },
          exclude: slow,
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "zookeeper",
          benchmark: { include: [] },
          exclude: slow,
          include: ["test/zookeeper/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "examples",
          benchmark: { include: [] },
          include: ["test/examples/**/*.run.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "discovery",
          benchmark: { include: [] },
          exclude: slow,
          include: ["test/discovery/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "slow",
          benchmark: { include: [] },
          include: slow,
          testTimeout: 300_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      // Benchmarks only (`npm run bench`): no test files.
      { test: { name: "bench", include: [], benchmark: { include: ["bench/**/*.bench.ts"] } } },
    ],
  },
});
