import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/core/index.js";

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the cap, jittered within [d/2, d]", () => {
    const low = backoffDelay({ initialMs: 100, maxMs: 1_000 }, () => 0);
    const high = backoffDelay({ initialMs: 100, maxMs: 1_000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6, 50].map(high)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect([1, 2, 3, 4, 5, 6, 50].map(low)).toEqual([50, 100, 200, 400, 500, 500, 500]);
  });

  it("never waits zero, so a retry loop cannot spin", () => {
    const delay = backoffDelay({ initialMs: 100, maxMs: 1_000 }, Math.random);
    for (let attempt = 1; attempt < 200; attempt++) expect(delay(attempt)).toBeGreaterThanOrEqual(50);
  });
});
