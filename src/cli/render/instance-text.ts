import type { Instance } from "../../index.js";
import { table } from "./table.js";
import { cellText } from "./terminal-text.js";

/**
 * The most characters of one field shown in a table cell or a change line: a value may be as
 * large as the store allows (1.5 MiB on etcd), and `--json` is there to read it whole.
 */
export const CELL_MAX = 100;

const shown = (s: string): string => cellText(s, CELL_MAX);

/** An instance's metadata as `k=v k=v`, sorted by key, made visible and cut to a cell. */
export const metadataText = (i: Instance): string => {
  let text = "";
  for (const k of Object.keys(i.metadata).sort()) {
    text += `${text === "" ? "" : " "}${shown(k)}=${shown(i.metadata[k] ?? "")}`;
    if (text.length > CELL_MAX) break;
  }
  return shown(text);
};

const addrsText = (i: Instance): string => shown(i.addrs.slice(0, CELL_MAX).join(",")) || "-";

/** An instance on one line: hostname, addrs, zone and metadata (each made visible, and cut). */
export const instanceLine = (i: Instance): string =>
  [shown(i.hostname), addrsText(i), i.zone === "" ? "" : `zone=${shown(i.zone)}`, metadataText(i)]
    .filter((s) => s !== "")
    .join("  ");

/** Instances as a table: hostname, zone, addrs, version, metadata; at most `maxWidth` wide when given. */
export const instanceTable = (instances: readonly Instance[], maxWidth?: number): string[] =>
  table(
    ["HOSTNAME", "ZONE", "ADDRS", "VERSION", "METADATA"],
    instances.map((i) => [
      shown(i.hostname),
      shown(i.zone) || "-",
      addrsText(i),
      shown(i.version) || "-",
      metadataText(i) || "-",
    ]),
    [],
    maxWidth === undefined ? {} : { maxWidth },
  );

/** Time of day with milliseconds, for change lines: 12:34:56.789. */
export const clock = (date: Date = new Date()): string => date.toISOString().slice(11, 23);
