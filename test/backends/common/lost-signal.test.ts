// The loss of a lease or a session is told once, to late subscribers too; ending it tells nothing.
import { describe, expect, it } from "vitest";
import { LostSignal } from "../../../src/backends/common/lost-signal.js";
import { backendError, type NamingError } from "../../../src/model/index.js";

const collect = (signal: LostSignal) => {
  const seen: NamingError[] = [];
  let completed = false;
  signal.lost$.subscribe({ next: (e) => seen.push(e), complete: () => (completed = true) });
  return { seen, completed: () => completed };
};

describe("LostSignal", () => {
  it("tells the first loss once, to subscribers before and after it", () => {
    const signal = new LostSignal();
    const early = collect(signal);
    const first = backendError("lease", new Error("expired"));
    expect(signal.fire(first)).toBe(true);
    expect(signal.fire(backendError("lease", new Error("again")))).toBe(false);
    const late = collect(signal);
    expect(early.seen).toEqual([first]);
    expect(late.seen).toEqual([first]);
    expect(early.completed() && late.completed()).toBe(true);
    expect(signal.settled).toBe(true);
  });

  it("ended on purpose, completes without a loss and tells none after", () => {
    const signal = new LostSignal();
    const seen = collect(signal);
    signal.end();
    expect(signal.fire(backendError("lease", new Error("late")))).toBe(false);
    expect(seen.seen).toEqual([]);
    expect(seen.completed()).toBe(true);
  });
});
