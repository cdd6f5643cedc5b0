// What the soak checks at every quiet point and at the end.
import type { Etcd3 } from "etcd3";
import { waitFor } from "../test/harness/index.js";
import { PREFIX, type World } from "./faults.js";
import type { EventRecord, WorkerHandle } from "./workers.js";

export const CHECKS = [
  "resolvers equal etcd",
  "live registrations present once",
  "no lease without its key",
  "every lost followed by registered",
  "no stream errors or crashes",
  "heap flat",
  "fds flat",
  "deregistered on close",
  "leases lost only by etcd",
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface Problem {
  readonly check: CheckName;
  readonly message: string;
}

interface EtcdView {
  readonly kvs: readonly { key: string; version: string; lease: string }[];
  readonly leases: readonly { id: string; keys: readonly string[] }[];
}

/** etcd's own view: every key under the prefix (one range read) and every lease with its keys. */
export const readEtcd = async (admin: Etcd3): Promise<EtcdView> => {
  const deadline = (): Date => new Date(Date.now() + 3_000);
  const res = await admin.getAll().prefix(PREFIX).options({ deadline: deadline() }).exec();
  const kvs = res.kvs.map((kv) => {
    const value = JSON.parse(kv.value.toString()) as { version?: string };
    return { key: kv.key.toString(), version: value.version ?? "", lease: String(kv.lease) };
  });
  const listed = await admin.leaseClient.leaseLeases({ deadline: deadline() });
  const leases = [];
  for (const { ID } of listed.leases) {
    const ttl = await admin.leaseClient.leaseTimeToLive({ ID, keys: true }, { deadline: deadline() });
    if (Number(ttl.TTL) < 0) continue; // expired between the list and now
    leases.push({ id: String(ID), keys: ttl.keys.map((k) => Buffer.from(k).toString()) });
  }
  return { kvs, leases };
};

const appOf = (key: string): string => key.slice(PREFIX.length, key.lastIndexOf("/"));

/** Problems that no waiting cures: a worker crashed, a stream errored or completed. */
export const hardProblems = (workers: readonly WorkerHandle[]): Problem[] => {
  const problems: Problem[] = [];
  for (const w of workers) {
    for (const f of w.faults) problems.push({ check: "no stream errors or crashes", message: f });
    for (const e of w.events) {
      if (e.event === "errored")
        problems.push({
          check: "no stream errors or crashes",
          message: `worker ${w.id} ${e.app}/${e.host}: register() errored: ${e.detail}`,
        });
    }
  }
  return problems;
};

/** Compares every worker's registrations and views with etcd: an empty list means all agree. */
export const inspect = async (world: World): Promise<Problem[]> => {
  const states = await Promise.all(world.workers.map((w) => w.query(false)));
  const etcd = await readEtcd(world.admin);
  const problems: Problem[] = [];
  const problem = (check: CheckName, message: string): void => void problems.push({ check, message });

  const expected = new Map<string, { who: string; version: string; leaseId: string }>();
  for (const s of states) {
    for (const r of s.regs) {
      const who = `worker ${s.id} ${r.app}/${r.host}`;
      if (r.last === "lost") problem("every lost followed by registered", `${who}: last event is lost`);
      else if (r.last === "none") problem("live registrations present once", `${who}: not registered yet`);
      else if (r.last === "errored") problem("no stream errors or crashes", `${who}: errored`);
      if (r.key === undefined || r.leaseId === undefined || r.last === "lost" || r.last === "none") continue;
      const other = expected.get(r.key);
      if (other !== undefined)
        problem("live registrations present once", `${r.key} held by ${other.who} and ${who}`);
      expected.set(r.key, { who, version: r.version, leaseId: r.leaseId });
    }
    for (const v of s.views) {
      if (v.errors > 0 || v.completed)
        problem("no stream errors or crashes", `worker ${s.id} ${v.app}: instances$ errored or completed`);
    }
  }

  const truth = new Map<string, string[]>();
  for (const kv of etcd.kvs) {
    const app = appOf(kv.key);
    const line = `${kv.key.slice(kv.key.lastIndexOf("/") + 1)}=${kv.version}`;
    truth.set(app, [...(truth.get(app) ?? []), line]);
    const e = expected.get(kv.key);
    if (e === undefined) {
      problem(
        "live registrations present once",
        `${kv.key} in etcd (lease ${kv.lease}) but no live registration`,
      );
    } else if (e.version !== kv.version) {
      problem(
        "live registrations present once",
        `${kv.key} holds ${kv.version}, ${e.who} last gave ${e.version}`,
      );
    } else if (e.leaseId !== kv.lease) {
      problem(
        "live registrations present once",
        `${kv.key} is under lease ${kv.lease}, ${e.who} holds ${e.leaseId}`,
      );
    }
  }
  const inEtcd = new Set(etcd.kvs.map((kv) => kv.key));
  for (const [key, e] of expected) {
    if (!inEtcd.has(key)) problem("live registrations present once", `${key} of ${e.who} missing in etcd`);
  }

  for (const s of states) {
    for (const v of s.views) {
      const want = (truth.get(v.app) ?? []).join(" ");
      const got = v.fingerprint?.join(" ");
      if (got !== want)
        problem(
          "resolvers equal etcd",
          `worker ${s.id} ${v.app} @${v.revision}: [${got ?? "no set yet"}] but etcd has [${want}]`,
        );
      else if (v.twin?.join(" ") !== want)
        problem(
          "resolvers equal etcd",
          `worker ${s.id} ${v.app}: second resolver [${v.twin?.join(" ")}] differs`,
        );
    }
  }

  for (const lease of etcd.leases) {
    if (lease.keys.length === 0) problem("no lease without its key", `lease ${lease.id} holds no key`);
    else if (lease.keys.length > 1)
      problem("no lease without its key", `lease ${lease.id} holds ${lease.keys.length} keys: ${lease.keys}`);
  }
  return problems;
};

/**
 * Waits until everything agrees (as it must once every fault is over), up to `timeoutMs`.
 * Returns the problems still there at the deadline (none: passed).
 */
export const converge = async (world: World, timeoutMs: number): Promise<Problem[]> => {
  let last: Problem[] = [];
  try {
    await waitFor(
      async () => {
        const hard = hardProblems(world.workers);
        if (hard.length > 0) return hard; // no waiting cures these: stop at once
        last = await inspect(world);
        return last.length === 0;
      },
      { timeoutMs, intervalMs: 250, message: "convergence" },
    ).then((r) => {
      if (Array.isArray(r)) last = r;
    });
  } catch (error) {
    if (last.length === 0)
      last = [
        { check: "resolvers equal etcd", message: `etcd or a worker did not answer: ${String(error)}` },
      ];
  }
  return last;
};

/** What became of every `lost`, from the event logs: followed by registered, or ended by us. */
export interface LostOutcomes {
  readonly lost: number;
  readonly registeredAgain: number;
  readonly unsubscribedWhileLost: number;
  readonly killedWhileLost: number;
  readonly problems: Problem[];
}

export const lostOutcomes = (workers: readonly WorkerHandle[]): LostOutcomes => {
  const sequences = new Map<string, EventRecord[]>();
  for (const w of workers) {
    for (const e of w.events) {
      const k = `${e.worker}:${e.pid}:${e.app}/${e.host}`;
      sequences.set(k, [...(sequences.get(k) ?? []), e]);
    }
  }
  const live = new Set(workers.map((w) => w.pid).filter((p) => p !== undefined));
  let lost = 0;
  let registeredAgain = 0;
  let unsubscribedWhileLost = 0;
  let killedWhileLost = 0;
  const problems: Problem[] = [];
  for (const [k, seq] of sequences) {
    if (seq[0]?.event !== "registered" && seq[0]?.event !== "unsubscribed")
      problems.push({
        check: "every lost followed by registered",
        message: `${k}: first event ${seq[0]?.event}`,
      });
    seq.forEach((e, i) => {
      if (e.event !== "lost") return;
      lost++;
      const next = seq[i + 1];
      if (next?.event === "registered") registeredAgain++;
      else if (next?.event === "unsubscribed") unsubscribedWhileLost++;
      else if (next === undefined && !live.has(e.pid)) killedWhileLost++;
      else
        problems.push({
          check: "every lost followed by registered",
          message: `${k}: lost at ${new Date(e.at).toISOString()} followed by ${next?.event ?? "nothing"}`,
        });
    });
  }
  return { lost, registeredAgain, unsubscribedWhileLost, killedWhileLost, problems };
};

/** heapUsed after GC and open fds of one worker life at each quiet point. */
export interface Samples {
  readonly worker: number;
  readonly pid: number;
  readonly heap: number[];
  readonly fds: number[];
  /** The kinds of the fds at the last sample (`WorkerHandle.fdKinds`). */
  lastFdKinds?: string;
}

const MiB = 1024 * 1024;

/** How many more fds than at its second quiet point a worker may hold at the end of its life. */
export const FD_SLACK = 3;

/**
 * Flat: from the second sample of a life (the first is still warming up) to the last, heap grew
 * by at most max(2 MiB, 20 %) and fds by at most FD_SLACK. A worker holds one connection to each
 * member (22-23 fds in 10-minute runs), and a sample may catch one being replaced; each fd sample
 * is the lowest of five readings over 2 s, so that sockets still closing after a partition do not
 * count. A connection left behind by every long partition (the leak this check found, 22 -> 34)
 * breaks the bound within a few. Lives with fewer than 3 samples are not judged.
 */
export const flatness = (samples: readonly Samples[]): { judged: number; problems: Problem[] } => {
  const problems: Problem[] = [];
  let judged = 0;
  for (const s of samples) {
    if (s.heap.length < 3) continue;
    judged++;
    const base = s.heap[1]!;
    const last = s.heap[s.heap.length - 1]!;
    if (last - base > Math.max(2 * MiB, 0.2 * base))
      problems.push({
        check: "heap flat",
        message: `worker ${s.worker} (pid ${s.pid}) heap ${s.heap.map((h) => (h / MiB).toFixed(1)).join(" -> ")} MiB`,
      });
    const fdBase = s.fds[1]!;
    const fdLast = s.fds[s.fds.length - 1]!;
    if (fdLast - fdBase > FD_SLACK)
      problems.push({
        check: "fds flat",
        message: `worker ${s.worker} (pid ${s.pid}) fds ${s.fds.join(" -> ")} (last: ${s.lastFdKinds ?? "?"})`,
      });
  }
  return { judged, problems };
};
