import { Etcd3 } from "etcd3";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startCluster, type ClusterOptions, type EtcdCluster } from "./etcd-cluster.js";
import { startEtcd, type EtcdOptions, type EtcdProcess } from "./etcd-process.js";
import { disposeAll } from "./registry.js";

/**
 * Registers disposeAll after each test ("each") or after the file ("all", default): every etcd,
 * cluster, proxy and temp dir started meanwhile is killed and removed, whether the test passed or not.
 */
export function useHarnessCleanup(scope: "each" | "all" = "all"): void {
  (scope === "each" ? afterEach : afterAll)(disposeAll);
}

function lazy<T>(what: string, start: () => Promise<T>): () => T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(disposeAll);
  return () => {
    if (value === undefined)
      throw new Error(`${what} is only available inside tests and hooks (it starts in beforeAll)`);
    return value;
  };
}

/**
 * One etcd for the whole file: started in beforeAll, and everything the file started disposed in
 * afterAll. Call the returned function inside tests: `const etcd = useEtcd(); ... etcd().endpoint`.
 */
export function useEtcd(options?: EtcdOptions): () => EtcdProcess {
  return lazy("useEtcd()", () => startEtcd(options));
}

/** useEtcd for a cluster: `const cluster = useCluster(3); ... cluster().member(0).kill()`. */
export function useCluster(size = 3, options?: ClusterOptions): () => EtcdCluster {
  return lazy("useCluster()", () => startCluster(size, options));
}

/** An `etcd3` client of the file's etcd: made in beforeAll, closed in afterAll. */
export function useEtcdClient(etcd: () => EtcdProcess): () => Etcd3 {
  let client: Etcd3 | undefined;
  beforeAll(() => {
    client = new Etcd3(etcd().clientOptions());
  });
  afterAll(() => client?.close());
  return () => {
    if (client === undefined) throw new Error("useEtcdClient() is only available inside tests and hooks");
    return client;
  };
}
