import type { Instance } from "../index.js";

const fields = ["region", "zone", "env", "version", "status"] as const;

/**
 * What changed between two versions of an instance, in a few words for the history:
 * "status 1 -> 2, weight 10 -> 25". Values are shown as the page shows every value: as text.
 */
export const describeUpdate = (before: Instance | undefined, after: Instance): string => {
  if (before === undefined) return after.hostname;
  const parts: string[] = [];
  for (const field of fields) {
    if (before[field] !== after[field])
      parts.push(`${field} ${String(before[field])} -> ${String(after[field])}`);
  }
  if (before.addrs.join(" ") !== after.addrs.join(" ")) parts.push(`addrs ${after.addrs.join(" ")}`);
  const keys = new Set([...Object.keys(before.metadata), ...Object.keys(after.metadata)]);
  for (const key of [...keys].sort()) {
    if (before.metadata[key] !== after.metadata[key]) {
      parts.push(`${key} ${before.metadata[key] ?? "(none)"} -> ${after.metadata[key] ?? "(none)"}`);
    }
  }
  return parts.length === 0 ? after.hostname : `${after.hostname} (${parts.join(", ")})`;
};
