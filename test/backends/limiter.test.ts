import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/backends/etcd/limiter.js";

describe("Limiter", () => {
  it("runs at most `limit` tasks at once, in order, and hands places on as tasks settle", async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (n: number) => async () => {
      started.push(n);
      most = Math.max(most, ++running);
      const workMs = 5 + (n % 4); // tasks settle out of order
      await new Promise((resolve) => setTimeout(resolve, workMs));
      running--;
      if (n === 4) throw new Error("task 4 failed");
      return n;
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => limiter.run(task(n))));
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    // A failed task gave its place back: all the others ran.
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(19);
    // And the limiter is free again.
    expect(await limiter.run(async () => "again")).toBe("again");
  });
});
