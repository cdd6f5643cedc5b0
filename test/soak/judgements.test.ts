// The soak's verdicts are only as good as the functions that judge its samples: these are checked
// here on hand-made samples, so that a soak that passes is known to be able to fail.
import { describe, expect, it } from "vitest";
import { FD_SLACK, flatness, type Samples } from "../../soak/checks.js";
import type { FaultRecord } from "../../soak/faults.js";
import { classify, EXPECTED } from "../../soak/losses.js";
import type { EventRecord } from "../../soak/workers.js";

const MiB = 1024 * 1024;
const life = (heapMiB: number[], fds: number[]): Samples => ({
  worker: 1,
  pid: 100,
  heap: heapMiB.map((h) => h * MiB),
  fds,
  lastFdKinds: "socket 30, pipe 9",
});

describe("flatness", () => {
  it("passes a life whose heap settles and whose fds stay within the slack", () => {
    const { judged, problems } = flatness([
      life([16.6, 18.9, 19.4, 19.7, 19.8], [23, 23, 22, 23, 23 + FD_SLACK]),
    ]);
    expect(judged).toBe(1);
    expect(problems).toEqual([]);
  });

  it("fails a life that keeps a connection from every partition, naming the worker and the fd kinds", () => {
    const { problems } = flatness([life([16.6, 18.9, 19.0, 19.1], [23, 22, 27, 34])]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.check).toBe("fds flat");
    expect(problems[0]!.message).toContain("worker 1 (pid 100) fds 23 -> 22 -> 27 -> 34");
    expect(problems[0]!.message).toContain("socket 30");
  });

  it("fails a heap that grows by more than 2 MiB and 20 % after warming up", () => {
    const { problems } = flatness([life([10, 12, 13.5, 14.5], [23, 23, 23, 23])]);
    expect(problems.map((p) => p.check)).toEqual(["heap flat"]);
    // 20 % of a big heap is allowed.
    expect(flatness([life([10, 20, 22, 23.9], [23, 23, 23, 23])]).problems).toEqual([]);
  });

  it("judges from the second sample, and not lives with fewer than 3", () => {
    // The first sample is before warm-up: growth from it does not count.
    expect(flatness([life([5, 20, 20.5], [10, 23, 23])]).problems).toEqual([]);
    const short = flatness([life([5, 50], [10, 90])]);
    expect(short).toEqual({ judged: 0, problems: [] });
  });
});

describe("classify (the cause of a lease loss)", () => {
  const ttlMs = 6_000;
  const lost = (at: number, worker = 1): EventRecord => ({
    worker,
    pid: 100,
    at,
    app: "soak.alpha",
    host: "w1-r1",
    event: "lost",
  });
  const fault = (
    f: Partial<FaultRecord> & Pick<FaultRecord, "kind" | "startedAt" | "endedAt">,
  ): FaultRecord => ({
    n: 1,
    detail: f.kind,
    ...f,
  });

  it("puts a loss during a long partition of the same worker down to the partition", () => {
    const partition = fault({ kind: "partition-worker-long", startedAt: 1_000, endedAt: 9_000, worker: 1 });
    const got = classify(lost(8_000), [partition], ttlMs);
    expect(got).toEqual({ cause: "partition longer than the TTL", fault: partition });
    expect(EXPECTED.has(got.cause)).toBe(true);
    // Another worker's partition does not explain it.
    expect(classify(lost(8_000, 2), [partition], ttlMs).cause).toBe("no fault in progress");
  });

  it("blames etcd's paused-leader bug only after SIGCONT and only when etcd said the lease is gone", () => {
    const pause = fault({
      kind: "pause-leader",
      startedAt: 1_000,
      endedAt: 7_000,
      leader: true,
      member: "c2",
    });
    const revoked = "backend lease keep-alive failed: Error: etcd says lease 42 has expired or was revoked";
    expect(classify(lost(7_200), [pause], ttlMs, revoked).cause).toBe(
      "etcd: paused leader revoked leases on SIGCONT",
    );
    // rxnaming gave up on an unconfirmed lease: that is not etcd revoking it.
    const unconfirmed = "etcd has not confirmed lease 42 for its whole TTL (6000 ms)";
    const ours = classify(lost(7_200), [pause], ttlMs, unconfirmed);
    expect(ours.cause).toBe("during pause-leader");
    expect(EXPECTED.has(ours.cause)).toBe(false);
    // During the pause the leader cannot have revoked anything.
    expect(classify(lost(5_000), [pause], ttlMs, revoked).cause).toBe("during pause-leader");
  });

  it("calls a loss with no fault around it unexplained", () => {
    const old = fault({ kind: "kill-member", startedAt: 1_000, endedAt: 2_000 });
    const got = classify(lost(2_000 + ttlMs + 3_001), [old], ttlMs);
    expect(got).toEqual({ cause: "no fault in progress", fault: undefined });
    expect(EXPECTED.has(got.cause)).toBe(false);
  });
});
