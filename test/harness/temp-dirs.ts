import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackDir, untrackDir } from "./registry.js";

const PREFIX = "rxnaming-etcd-";
const OWNER_FILE = "owner.pid";

/**
 * A fresh temp dir for one etcd (or cluster, or TLS material), registered so it is removed even if
 * the test forgets. Its owner's pid is written in it, so a later run can reap what a run that was
 * SIGKILLed (no exit handlers) left behind: see reapOrphans.
 */
export function makeTempDir(kind: string): string {
  reapOrphansOnce();
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${kind}-`));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  trackDir(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
}

let reaped = false;
function reapOrphansOnce(): void {
  if (reaped) return;
  reaped = true;
  try {
    reapOrphans();
  } catch {
    // Best effort: a failed reap must never fail the test that happens to run first.
  }
}

/**
 * Kills etcd processes and removes temp dirs whose owning test process is dead. Such orphans exist
 * only when a test process was killed with SIGKILL (or the machine's OOM killer); each holds ~64 MB
 * of preallocated WAL and two ports. Linux-only for the process part (/proc); elsewhere it only
 * removes dirs.
 */
export function reapOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
    } catch {
      continue; // being created right now, or not ours to judge
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function processesMentioning(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not readable
    }
  }
  return pids;
}
