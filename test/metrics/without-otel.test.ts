import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const here = import.meta.dirname;
const tsx = createRequire(import.meta.url).resolve("tsx");

describe("without @opentelemetry/api installed", () => {
  it("discovers, balances, and turns the metrics calls into no-ops", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        join(here, "without-otel", "block-otel.mjs"),
        "--import",
        tsx,
        join(here, "without-otel", "run.ts"),
      ],
      { timeout: 30_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({
      blocked: true,
      recording: false,
      traffic: false,
      picked: "127.0.0.1:9000",
    });
  });
});

describe("the sources", () => {
  it("never import @opentelemetry/api, not even its types (an application's tsc may not find it)", () => {
    const src = join(here, "..", "..", "src");
    const importing = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /(from\s+|import\(\s*)["']@opentelemetry\//.test(readFileSync(join(src, f), "utf8")));
    expect(importing).toEqual([]);
  });
});
