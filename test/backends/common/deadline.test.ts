// A backend call settles by its deadline, and a late answer changes nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { withDeadline } from "../../../src/shared/deadline.js";

describe("withDeadline", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("rejects at the deadline with the operation's name, whatever comes later", async () => {
    let answer: (value: string) => void = () => undefined;
    const call = withDeadline("range", 100, new Promise<string>((resolve) => (answer = resolve)));
    const outcome = call.then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    );
    await vi.advanceTimersByTimeAsync(100);
    answer("late");
    expect(await outcome).toEqual({ error: "range got no answer within 100 ms" });
  });

  it("passes an answer or a failure that comes in time, the failure as an Error", async () => {
    await expect(withDeadline("put", 100, Promise.resolve(1))).resolves.toBe(1);
    await expect(withDeadline("put", 100, Promise.reject("refused"))).rejects.toThrow("refused");
  });
});
