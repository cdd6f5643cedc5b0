import type { EtcdProcess } from "./etcd-process.js";

/**
 * Spawns all members, waits for each to be healthy. A port taken between freePorts() and etcd's bind
 * (another test worker) is the one expected start failure: the caller gets it as PortClashError.
 */
export async function startMembers(members: readonly EtcdProcess[]): Promise<void> {
  try {
    // One after another, each until it serves HTTP: a new member first asks its peers whether it was
    // already bootstrapped, and a peer that has bound its port but is itself still in that step holds
    // the question until etcd's 1 s bootstrap timeout. Started all at once, a 3-member cluster took
    // 0.15 s or 1-2.5 s by luck; in sequence, 0.2-0.3 s.
    if (members.length > 1) {
      for (const m of members) {
        m.spawn();
        await m.waitServing();
      }
    } else {
      for (const m of members) m.spawn();
    }
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (error) {
    await Promise.all(members.map((m) => m.kill()));
    if (members.some((m) => m.outputTail().includes("address already in use"))) {
      throw new PortClashError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    throw error;
  }
}

export class PortClashError extends Error {
  override readonly name = "PortClashError";
}

/** Starts members; on failure disposes `owned` (so no dir or process is left) and rethrows. */
export async function startOrDispose(
  members: readonly EtcdProcess[],
  owned: readonly { dispose(): Promise<void> }[],
) {
  try {
    await startMembers(members);
  } catch (error) {
    await Promise.all(owned.map((o) => o.dispose()));
    throw error;
  }
}

/** Retries `attempt` (with new ports) when its ports were taken by someone else meanwhile. */
export async function withPortClashRetry<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PortClashError) || i >= attempts) throw error;
    }
  }
}
