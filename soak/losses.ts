// Every lease loss, put down to a cause: the fault that was going on when it happened.
import type { FaultKind, FaultRecord } from "./faults.js";
import type { EventRecord, WorkerHandle } from "./workers.js";

export type LossCause =
  | "partition longer than the TTL"
  | "etcd: paused leader revoked leases on SIGCONT"
  | `during ${FaultKind}`
  | "no fault in progress";

/** Causes that are not rxnaming's: etcd expired the lease as it should, or etcd's own bug. */
export const EXPECTED: ReadonlySet<LossCause> = new Set<LossCause>([
  "partition longer than the TTL",
  "etcd: paused leader revoked leases on SIGCONT",
]);

export const CAUSE_NOTES: Partial<Record<LossCause, string>> = {
  "partition longer than the TTL": "expected: etcd expires a lease nobody kept alive for its TTL",
  "etcd: paused leader revoked leases on SIGCONT":
    "etcd's, not ours: etcd 3.4 lets a leader resumed after SIGSTOP revoke leases before it learns it was " +
    "deposed (etcd 3.4's paused-leader bug, fixed upstream after the 3.4.23 Debian ships)",
};

export interface Loss {
  readonly event: EventRecord;
  readonly cause: LossCause;
  readonly fault: FaultRecord | undefined;
  /** What errors$ said about the lease just before (why rxnaming declared it lost). */
  readonly reason: string | undefined;
}

/**
 * A fault explains a loss from its start until a TTL and some slack after its end: a lease can
 * only be found lost that long after the fault that starved it.
 */
const covers = (f: FaultRecord, at: number, ttlMs: number): boolean =>
  f.startedAt <= at && at <= f.endedAt + ttlMs + 3_000;

/** etcd itself said the lease is gone (rather than rxnaming giving up on an unconfirmed one). */
const revokedByEtcd = (reason: string | undefined): boolean =>
  reason !== undefined && /expired or was revoked|requested lease not found/.test(reason);

export const classify = (
  event: EventRecord,
  faults: readonly FaultRecord[],
  ttlMs: number,
  reason?: string,
): { cause: LossCause; fault: FaultRecord | undefined } => {
  const around = faults.filter((f) => covers(f, event.at, ttlMs));
  const partition = around.find((f) => f.kind === "partition-worker-long" && f.worker === event.worker);
  if (partition) return { cause: "partition longer than the TTL", fault: partition };
  // etcd's bug: after SIGCONT (endedAt), never during the pause, and etcd itself answers that the
  // lease is gone; a lease rxnaming gave up on because keep-alives went unanswered is not it.
  const resumedLeader = around.find((f) => f.kind === "pause-leader" && f.leader && event.at >= f.endedAt);
  if (resumedLeader && revokedByEtcd(reason))
    return { cause: "etcd: paused leader revoked leases on SIGCONT", fault: resumedLeader };
  // Otherwise the latest fault going on (faults touching this worker first).
  const mine = around.filter((f) => f.worker === undefined || f.worker === event.worker);
  const latest = mine[mine.length - 1];
  return latest
    ? { cause: `during ${latest.kind}`, fault: latest }
    : { cause: "no fault in progress", fault: undefined };
};

export const losses = (
  workers: readonly WorkerHandle[],
  faults: readonly FaultRecord[],
  ttlMs: number,
): Loss[] =>
  workers.flatMap((w) =>
    w.events.flatMap((event, i) => {
      if (event.event !== "lost") return [];
      // The lease that was lost: the one of this registration's last `registered`.
      const same = (e: EventRecord): boolean =>
        e.pid === event.pid && e.app === event.app && e.host === event.host;
      const leaseId = w.events
        .slice(0, i)
        .reverse()
        .find((e) => same(e) && e.event === "registered")?.leaseId;
      // Why: the keep-alive hub names the lease; a put that found the lease gone does not.
      const near = w.namingErrors.filter((e) => e.at <= event.at + 100 && e.at >= event.at - 2_000);
      const reason = (
        near.find((e) => leaseId !== undefined && e.message.includes(leaseId)) ??
        near.reverse().find((e) => /put failed.*lease not found/.test(e.message))
      )?.message;
      return [{ event, ...classify(event, faults, ttlMs, reason), reason }];
    }),
  );
