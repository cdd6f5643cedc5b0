// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layering of docs/architecture.md, enforced: data flows one way,
// backend -> port -> core -> operators/balancers -> faces, and nothing imports a face.
// Each room names the rooms it may import; it may import none of the others. Every room may import
// src/shared (small pure helpers: hashing, backoff, address parsing), which imports nothing of ours.
const ourRooms = [
  "model",
  "port",
  "core",
  "backends",
  "operators",
  "balancers",
  "metrics",
  "grpc",
  "undici",
  "console",
  "cli",
  "testing",
];
const allowed = {
  shared: [],
  model: [],
  port: ["model"],
  core: ["model", "port"],
  backends: ["model", "port"],
  // Operators and balancers are separate rooms: both import the model alone.
  operators: ["model"],
  balancers: ["model"],
  // Metrics: OpenTelemetry instruments over the model and the balancers' pickers.
  metrics: ["model", "balancers"],
};
// Core and backends tell a naming's events to the metrics' probe, which imports nothing of ours;
// the rest of metrics (OpenTelemetry, the pickers) stays out of their reach.
const probeOnly = ["!**/metrics/probe.js"];
const rooms = Object.fromEntries(
  Object.entries(allowed).map(([room, may]) => [
    room,
    [
      ...ourRooms.filter((r) => r !== room && !may.includes(r)).map((r) => `**/${r}/**`),
      ...(room === "core" || room === "backends" ? probeOnly : []),
    ],
  ]),
);

// Faces (grpc, undici, console, cli, testing) are adapters for users: they import the public API (src/index.ts, the
// root namings, the public barrels) and nothing inside the rooms, nor one another.
const insides = [
  "**/port/**",
  "**/core/**",
  "**/backends/**",
  "**/shared/**",
  "**/model/**",
  "!**/model/index.js",
];
const faces = {
  grpc: [...insides, "**/cli/**", "**/testing/**", "**/undici/**", "**/console/**"],
  undici: [...insides, "**/cli/**", "**/testing/**", "**/grpc/**", "**/console/**"],
  console: [...insides, "**/cli/**", "**/testing/**", "**/grpc/**", "**/undici/**"],
  cli: [...insides, "**/grpc/**", "**/testing/**", "**/undici/**"],
  testing: [...insides, "**/grpc/**", "**/cli/**", "**/undici/**", "**/console/**"],
};

const restrict = (files, forbidden, message) => ({
  files,
  rules: {
    "no-restricted-imports": ["error", { patterns: [{ group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp*/**", "docs/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        Buffer: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        performance: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  ...Object.entries({ ...rooms, ...faces }).map(([room, forbidden]) =>
    restrict(
      [`src/${room}/**/*.ts`],
      forbidden,
      `src/${room} may not import this (see docs/architecture.md)`,
    ),
  ),
  // The root files build namings from rooms; none imports a face. (index.ts, the public barrel,
  // re-exports the gRPC face's entry point, which loads grpc-js only when called.)
  restrict(
    ["src/*.ts"],
    ["**/cli/**", "**/testing/**", "**/grpc/**", "**/undici/**", "**/console/**"],
    "a root file may not import a face (see docs/architecture.md)",
  ),
  { files: ["src/index.ts"], rules: { "no-restricted-imports": "off" } },
);
