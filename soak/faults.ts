// The fault schedule: faults drawn from the seed, run one after another.
import type { Etcd3 } from "etcd3";
import { sleep, waitFor, type CutMode, type EtcdCluster, type EtcdProcess } from "../test/harness/index.js";
import type { Random } from "./random.js";
import type { WorkerHandle } from "./workers.js";

export const PREFIX = "/kratos_etcd/";

/** What the faults act on. */
export interface World {
  readonly cluster: EtcdCluster;
  readonly workers: readonly WorkerHandle[];
  /** Straight to every member (no proxy): the checks' and the compaction's client. */
  readonly admin: Etcd3;
  readonly ttlSeconds: number;
  readonly log: (line: string) => void;
}

export const FAULT_KINDS = [
  "kill-member",
  "kill-leader",
  "pause-member",
  "pause-leader",
  "partition-member",
  "partition-worker-short",
  "partition-worker-long",
  "compact",
  "kill-worker",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault as drawn: everything random about it is fixed here, so a seed replays the schedule. */
export interface FaultPlan {
  readonly kind: FaultKind;
  readonly durationMs: number;
  /** In [0, 1): picks the member or worker among the candidates at run time. */
  readonly pick: number;
  readonly mode: CutMode;
  /** A long worker partition compacts etcd while the worker is away (its watch must re-read). */
  readonly compactDuring: boolean;
  /** Pause before the next fault. */
  readonly gapMs: number;
}

/** A fault as it ran: when, on what. */
export interface FaultRecord {
  readonly n: number;
  readonly kind: FaultKind;
  readonly detail: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly worker?: number;
  readonly member?: string;
  /** The member was the raft leader when the fault began. */
  readonly leader?: boolean;
}

/** Draws the next fault. Always the same number of draws, whatever the kind. */
export const drawFault = (rand: Random, ttlSeconds: number): FaultPlan => {
  const kind = rand.weighted<FaultKind>({
    "kill-member": 2,
    "kill-leader": 2,
    "pause-member": 2,
    "pause-leader": 2,
    "partition-member": 2,
    "partition-worker-short": 2,
    "partition-worker-long": 2,
    compact: 1.5,
    "kill-worker": 2,
  });
  const t = ttlSeconds * 1000;
  const ranges: Record<FaultKind, readonly [number, number]> = {
    "kill-member": [500, 4_000],
    "kill-leader": [500, 4_000],
    "pause-member": [1_000, 8_000],
    // Some pauses outlast the TTL: the leases the paused leader holds look expired when it wakes.
    "pause-leader": [1_000, t + 4_000],
    "partition-member": [2_000, 10_000],
    // Short: with keep-alives every TTL/3, a cut of at most TTL/3 leaves time to reconnect.
    "partition-worker-short": [500, t / 3],
    "partition-worker-long": [t + 1_000, t + 5_000],
    compact: [0, 0],
    "kill-worker": [200, t + 2_000],
  };
  const [min, max] = ranges[kind];
  const durationMs = Math.round(rand.between(min, max));
  const pick = rand.next();
  const mode: CutMode = rand.chance(0.7) ? "blackhole" : "reset";
  const compactDuring = rand.chance(0.5);
  const gapMs = Math.round(rand.between(1_000, 4_000));
  return { kind, durationMs, pick, mode, compactDuring, gapMs };
};

const choose = <T>(items: readonly T[], pick: number): T => items[Math.floor(pick * items.length)]!;

/**
 * Compacts etcd at its current revision; returns the revision. Retried: right after a fault the
 * checker's client may still hold a failed connection to the member it picks.
 */
export const compactNow = (admin: Etcd3): Promise<string> =>
  waitFor(
    async () => {
      const deadline = new Date(Date.now() + 3_000);
      const res = await admin.getAll().prefix(PREFIX).limit(1).options({ deadline }).exec();
      const revision = res.header.revision;
      await admin.kv.compact({ revision, physical: true }, { deadline });
      return revision;
    },
    { timeoutMs: 20_000, intervalMs: 200, message: "a compaction" },
  );

/** Starts a member again; after a SIGKILL under load a first start can time out, so try twice. */
const bringBack = async (member: EtcdProcess): Promise<void> => {
  try {
    await member.start();
  } catch {
    await member.start();
  }
};

const leaderOf = async (cluster: EtcdCluster): Promise<EtcdProcess> => cluster.leader(15_000);

/** Runs one fault to its end (everything it broke is back), and says what it did. */
export const runFault = async (world: World, plan: FaultPlan, n: number): Promise<FaultRecord> => {
  const { cluster, workers } = world;
  const d = plan.durationMs;
  const startedAt = Date.now();
  const done = (detail: string, extra: Partial<FaultRecord> = {}): FaultRecord => ({
    n,
    kind: plan.kind,
    detail,
    startedAt,
    endedAt: Date.now(),
    ...extra,
  });
  switch (plan.kind) {
    case "kill-member":
    case "kill-leader": {
      const leader = await leaderOf(cluster);
      const member = plan.kind === "kill-leader" ? leader : choose(cluster.members, plan.pick);
      await member.kill();
      await sleep(d);
      await bringBack(member);
      return done(`SIGKILL ${member.name}${member === leader ? " (leader)" : ""}, restarted after ${d} ms`, {
        member: member.name,
        leader: member === leader,
      });
    }
    case "pause-member":
    case "pause-leader": {
      const leader = await leaderOf(cluster);
      const followers = cluster.members.filter((m) => m !== leader && m.running);
      const member = plan.kind === "pause-leader" ? leader : choose(followers, plan.pick);
      member.pause();
      await sleep(d);
      member.resume();
      return done(`SIGSTOP ${member.name}${member === leader ? " (leader)" : ""} for ${d} ms, SIGCONT`, {
        member: member.name,
        leader: member === leader,
      });
    }
    case "partition-member": {
      const index = Math.floor(plan.pick * cluster.members.length);
      for (const w of workers) w.proxies[index]!.cut({ mode: plan.mode });
      await sleep(d);
      for (const w of workers) w.proxies[index]!.restore();
      const member = cluster.member(index);
      return done(`every worker cut off from ${member.name} (${plan.mode}) for ${d} ms`, {
        member: member.name,
      });
    }
    case "partition-worker-short":
    case "partition-worker-long": {
      const worker = choose(workers, plan.pick);
      for (const p of worker.proxies) p.cut({ mode: plan.mode });
      let compacted = "";
      if (plan.kind === "partition-worker-long" && plan.compactDuring) {
        await sleep(d / 2);
        compacted = `, compacted at ${await compactNow(world.admin)} meanwhile`;
        await sleep(d - (Date.now() - startedAt));
      } else {
        await sleep(d);
      }
      for (const p of worker.proxies) p.restore();
      return done(`worker ${worker.id} cut off from etcd (${plan.mode}) for ${d} ms${compacted}`, {
        worker: worker.id,
      });
    }
    case "compact": {
      const revision = await compactNow(world.admin);
      return done(`compacted at revision ${revision}`);
    }
    case "kill-worker": {
      const worker = choose(workers, plan.pick);
      await worker.kill();
      await sleep(d);
      await worker.start();
      return done(`SIGKILL worker ${worker.id}, restarted after ${d} ms`, { worker: worker.id });
    }
  }
};
