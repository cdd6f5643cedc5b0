import { execFile } from "node:child_process";
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
    expect(JSON.parse(stdout.trim())).toEqual({ blocked: true, recording: false, picked: "127.0.0.1:9000" });
  });
});
