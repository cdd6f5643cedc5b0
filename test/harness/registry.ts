import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/** Anything the harness started that a test run must not leave behind. */
export interface Disposable {
  dispose(): Promise<void>;
}

interface Registry {
  readonly resources: Set<Disposable>;
  readonly children: Set<ChildProcess>;
  readonly dirs: Set<string>;
}

// Kept on globalThis so that a module graph loaded twice in one process (vitest re-evaluates modules
// per test file) shares one registry and installs the exit handlers once, not once per file.
const KEY = Symbol.for("rxnaming.test-harness.registry");
const holder = globalThis as { [KEY]?: Registry };
const registry: Registry = (holder[KEY] ??= install());

function install(): Registry {
  const created: Registry = { resources: new Set(), children: new Set(), dirs: new Set() };
  // "exit" handlers must be synchronous: SIGKILL does not wait, and rmSync does. This is the last line
  // of defence for a test run that crashed or forgot disposeAll: no etcd survives it, no 64 MB WAL
  // stays in /tmp.
  const reap = (): void => {
    for (const child of created.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const dir of created.dirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", reap);
  // A signal kills Node without running "exit" handlers. Reap, then, if nobody else handles the
  // signal, die of it as Node would have (removing our listener first so the re-raise is not caught).
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      reap();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
  return created;
}

export function trackResource(resource: Disposable): void {
  registry.resources.add(resource);
}
export function untrackResource(resource: Disposable): void {
  registry.resources.delete(resource);
}
export function trackChild(child: ChildProcess): void {
  registry.children.add(child);
  child.once("exit", () => registry.children.delete(child));
}
export function trackDir(dir: string): void {
  registry.dirs.add(dir);
}
export function untrackDir(dir: string): void {
  registry.dirs.delete(dir);
}

/** Running children (etcd processes) the harness knows of: lets a test assert it leaked none. */
export function runningChildren(): number {
  return registry.children.size;
}

/**
 * Disposes every etcd, cluster, proxy and temp dir started in this process and not yet disposed.
 * Safe to call more than once and from afterAll/afterEach; errors are collected, not short-circuited,
 * so one failing dispose does not leave the rest running.
 */
export async function disposeAll(): Promise<void> {
  const resources = [...registry.resources];
  registry.resources.clear();
  const results = await Promise.allSettled(resources.map((r) => r.dispose()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((f) => f.reason),
      `disposeAll: ${failures.length} resource(s) failed to dispose`,
    );
  }
}
