// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layering of SPEC.md's architecture, enforced: data flows one way,
// backend -> port -> core -> operators/balancers -> faces, and nothing imports a face.
const ours = [
  "**/model/**",
  "**/port/**",
  "**/core/**",
  "**/backends/**",
  "**/operators/**",
  "**/balancers/**",
  "**/grpc/**",
  "**/cli/**",
  "**/testing/**",
];
const rooms = {
  // Small pure helpers several rooms need (hashing, backoff, address parsing): nothing of ours.
  shared: ours,
  model: [
    "**/port/**",
    "**/core/**",
    "**/backends/**",
    "**/operators/**",
    "**/balancers/**",
    "**/grpc/**",
    "**/cli/**",
    "**/testing/**",
  ],
  port: [
    "**/core/**",
    "**/backends/**",
    "**/operators/**",
    "**/balancers/**",
    "**/grpc/**",
    "**/cli/**",
    "**/testing/**",
  ],
  core: ["**/backends/**", "**/operators/**", "**/balancers/**", "**/grpc/**", "**/cli/**", "**/testing/**"],
  backends: ["**/core/**", "**/operators/**", "**/balancers/**", "**/grpc/**", "**/cli/**", "**/testing/**"],
  operators: ["**/port/**", "**/core/**", "**/backends/**", "**/grpc/**", "**/cli/**", "**/testing/**"],
  balancers: ["**/port/**", "**/core/**", "**/backends/**", "**/grpc/**", "**/cli/**", "**/testing/**"],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp*/**"] },
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
  ...Object.entries(rooms).map(([room, forbidden]) => ({
    files: [`src/${room}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: forbidden, message: `src/${room} may not import this room (see SPEC.md, Architecture)` },
          ],
        },
      ],
    },
  })),
);
