import type { Instance } from "../../index.js";
import { table } from "./table.js";

/** An instance's metadata as `k=v k=v`, sorted by key. */
export const metadataText = (i: Instance): string =>
  Object.keys(i.metadata)
    .sort()
    .map((k) => `${k}=${i.metadata[k]}`)
    .join(" ");

/** An instance on one line: hostname, addrs, zone and metadata. */
export const instanceLine = (i: Instance): string =>
  [i.hostname, i.addrs.join(",") || "-", i.zone === "" ? "" : `zone=${i.zone}`, metadataText(i)]
    .filter((s) => s !== "")
    .join("  ");

/** Instances as a table: hostname, zone, addrs, version, metadata. */
export const instanceTable = (instances: readonly Instance[]): string[] =>
  table(
    ["HOSTNAME", "ZONE", "ADDRS", "VERSION", "METADATA"],
    instances.map((i) => [
      i.hostname,
      i.zone || "-",
      i.addrs.join(",") || "-",
      i.version || "-",
      metadataText(i) || "-",
    ]),
  );

/** Time of day with milliseconds, for change lines: 12:34:56.789. */
export const clock = (date: Date = new Date()): string => date.toISOString().slice(11, 23);
