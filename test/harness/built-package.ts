// The package as users get it: compiled with the build's tsconfig into a temp dir inside the
// repository (so that the build resolves node_modules as the package does), for child processes.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

const root = join(import.meta.dirname, "..", "..");

export interface BuiltPackage {
  /** The temp dir: `dist/` holds the build; scripts written here import "./dist/index.js". */
  readonly dir: string;
  remove(): Promise<void>;
}

/** Compiles the package as `npm run build` does, into a fresh `.tmp-<name>-*` dir. */
export const buildPackage = async (name: string): Promise<BuiltPackage> => {
  const dir = await mkdtemp(join(root, `.tmp-${name}-`));
  await promisify(execFile)(process.execPath, [
    join(root, "node_modules/typescript/bin/tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    join(dir, "dist"),
  ]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
};

/** One build for the test file: made before its tests, removed after them. */
export const useBuiltPackage = (name: string): (() => BuiltPackage) => {
  let built: BuiltPackage | undefined;
  beforeAll(async () => {
    built = await buildPackage(name);
  }, 120_000);
  afterAll(async () => {
    await built?.remove();
  });
  return () => {
    if (built === undefined) throw new Error("the package is not built yet (use it inside a test)");
    return built;
  };
};
