import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The etcd binary: $ETCD_BIN, else `etcd` on PATH. Fails with a message that says how to fix it. */
export function etcdBinary(): string {
  const fromEnv = process.env.ETCD_BIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isExecutable(fromEnv)) throw new Error(`ETCD_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = onPath("etcd");
  if (found === undefined) {
    throw new Error(
      "etcd not found: set ETCD_BIN to an etcd 3.4+ binary or put `etcd` on PATH " +
        "(Debian/Ubuntu: apt-get install etcd-server)",
    );
  }
  return found;
}

/**
 * The etcdctl binary: $ETCDCTL_BIN, else the etcdctl next to the etcd in use (so an ETCD_BIN pointing
 * at an unpacked release gets its matching etcdctl), else `etcdctl` on PATH.
 */
export function etcdctlBinary(): string {
  const fromEnv = process.env.ETCDCTL_BIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isExecutable(fromEnv)) throw new Error(`ETCDCTL_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const sibling = join(dirname(etcdBinary()), "etcdctl");
  if (isExecutable(sibling)) return sibling;
  const found = onPath("etcdctl");
  if (found === undefined) {
    throw new Error(
      "etcdctl not found: set ETCDCTL_BIN, or put `etcdctl` next to ETCD_BIN or on PATH " +
        "(Debian/Ubuntu: apt-get install etcd-client)",
    );
  }
  return found;
}
