// The end-of-run report: seed, faults by kind, checks passed, lease losses by cause.
import { CHECKS, type CheckName, type LostOutcomes, type Problem, type Samples } from "./checks.js";
import { FAULT_KINDS, type FaultRecord } from "./faults.js";
import { CAUSE_NOTES, EXPECTED, type Loss } from "./losses.js";
import type { SoakOptions } from "./options.js";

export interface RunSummary {
  readonly options: SoakOptions;
  readonly etcdVersion: string;
  readonly startedAt: number;
  readonly faults: readonly FaultRecord[];
  readonly quietPoints: readonly { label: string; convergedMs: number }[];
  readonly passed: ReadonlyMap<CheckName, number>;
  readonly judgedLives: number;
  readonly losses: readonly Loss[];
  readonly outcomes: LostOutcomes | undefined;
  readonly samples: readonly Samples[];
  readonly failures: readonly Problem[];
  readonly infrastructureError: string | undefined;
  /** A worker's errors$ entries, to explain an unexpected loss. */
  readonly errorsOf: (worker: number) => readonly { readonly at: number; readonly message: string }[];
  /** grpc-js told by etcd to ping less (GOAWAY too_many_pings), summed over workers. */
  readonly excessPings: number;
}

export const replayCommand = (o: SoakOptions): string =>
  `npm run soak -- --minutes ${o.minutes} --seed ${o.seed} --workers ${o.workers} ` +
  `--registrations ${o.registrations} --ttl ${o.ttlSeconds} --quiet-every ${o.quietEverySeconds}`;

const MiB = 1024 * 1024;
const pad = (s: string, n: number): string => s.padEnd(n);
const time = (at: number, start: number): string => `+${((at - start) / 1000).toFixed(1)}s`;

export const report = (r: RunSummary): string => {
  const o = r.options;
  const lines: string[] = [];
  const failed = r.failures.length > 0 || r.infrastructureError !== undefined;
  lines.push("", "=== rxnaming soak report ===");
  lines.push(`seed ${o.seed}   replay: ${replayCommand(o)}`);
  lines.push(
    `ran ${((Date.now() - r.startedAt) / 60_000).toFixed(1)} min (faults for ${o.minutes} min): 3-member ${r.etcdVersion} ` +
      `cluster behind TCP proxies, ${o.workers} worker processes x ${o.registrations} registrations ` +
      `(half of them Observable<Instance> with updates), TTL ${o.ttlSeconds} s`,
  );

  lines.push("", `faults injected: ${r.faults.length}`);
  for (const kind of FAULT_KINDS) {
    const n = r.faults.filter((f) => f.kind === kind).length;
    const extra =
      kind === "kill-member" || kind === "pause-member"
        ? ` (${r.faults.filter((f) => f.kind === kind && f.leader).length} hit the leader)`
        : kind === "partition-worker-long"
          ? ` (${r.faults.filter((f) => f.kind === kind && f.detail.includes("compacted")).length} with a compaction during the cut)`
          : "";
    lines.push(`  ${pad(kind, 24)} ${n}${extra}`);
  }

  const qp = r.quietPoints.length;
  lines.push("", `checks passed (${qp} quiet points, the last at the end):`);
  for (const check of CHECKS) {
    const n = r.passed.get(check) ?? 0;
    const failures = r.failures.filter((p) => p.check === check).length;
    const status = failures > 0 ? "FAIL" : n > 0 ? "ok  " : "--  ";
    const what =
      check === "heap flat" || check === "fds flat"
        ? `${r.judgedLives} worker lives judged (those with 3+ quiet points)`
        : check === "deregistered on close"
          ? "etcd holds no key and no lease once the workers closed"
          : check === "leases lost only by etcd"
            ? "every loss a partition longer than the TTL or etcd's paused-leader bug"
            : `${n}/${qp} quiet points`;
    lines.push(
      `  ${status} ${pad(check, 36)} ${what}${failures > 0 ? `  (${failures} problems)` : n > 0 ? "" : " (not reached)"}`,
    );
  }
  if (qp > 0) {
    const times = r.quietPoints.map((q) => q.convergedMs);
    lines.push(
      `  convergence at quiet points: max ${Math.max(...times)} ms, median ${[...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]} ms`,
    );
  }

  lines.push("", `lease losses: ${r.losses.length}`);
  const byCause = new Map<string, Loss[]>();
  for (const l of r.losses) byCause.set(l.cause, [...(byCause.get(l.cause) ?? []), l]);
  for (const [cause, ls] of byCause) {
    const note = CAUSE_NOTES[ls[0]!.cause] ?? "UNEXPECTED: not explained by a partition longer than the TTL";
    lines.push(`  ${pad(cause, 46)} ${ls.length}   ${note}`);
  }
  if (r.outcomes)
    lines.push(
      `  after each lost: ${r.outcomes.registeredAgain} registered again, ${r.outcomes.unsubscribedWhileLost} ` +
        `unsubscribed while lost (churn), ${r.outcomes.killedWhileLost} in a worker SIGKILLed while lost`,
    );
  for (const l of r.losses) {
    const e = l.event;
    lines.push(
      `    ${time(e.at, r.startedAt)} worker ${e.worker} ${e.app}/${e.host}: ${EXPECTED.has(l.cause) ? "" : "UNEXPECTED "}` +
        `${l.cause}${l.fault ? ` (fault #${l.fault.n}: ${l.fault.detail})` : ""}${l.reason ? `; errors$: ${l.reason}` : ""}`,
    );
    // For a loss to investigate: what that worker's errors$ said in the TTL before it.
    if (!EXPECTED.has(l.cause)) {
      const from = e.at - r.options.ttlSeconds * 1000 - 1_000;
      for (const n of (r.errorsOf(e.worker) ?? [])
        .filter((x) => x.at >= from && x.at <= e.at + 100)
        .slice(-15))
        lines.push(`        ${time(n.at, r.startedAt)} errors$: ${n.message}`);
    }
  }

  lines.push("", "worker heap after GC (MiB) and open fds at each quiet point:");
  for (const s of r.samples) {
    lines.push(
      `  worker ${s.worker} pid ${s.pid}: heap ${s.heap.map((h) => (h / MiB).toFixed(1)).join(" ")}; fds ${s.fds.join(" ")}`,
    );
  }

  lines.push(
    "",
    `grpc-js in the workers was sent GOAWAY too_many_pings by etcd ${r.excessPings} times ` +
      "(etcd counts keep-alive pings on a connection without streams as abuse; etcdClientOptions sends none there)",
  );
  if (r.infrastructureError !== undefined)
    lines.push("", `SOAK INFRASTRUCTURE ERROR: ${r.infrastructureError}`);
  if (r.failures.length > 0) {
    lines.push("", "FAILED checks:");
    for (const p of r.failures.slice(0, 30)) lines.push(`  [${p.check}] ${p.message}`);
    if (r.failures.length > 30) lines.push(`  ... and ${r.failures.length - 30} more`);
  }
  lines.push("", `${failed ? "FAILED" : "PASSED"} (seed ${o.seed})`);
  return lines.join("\n");
};
