/**
 * Strings from the store, made safe to print. etcd and ZooKeeper are written by many teams: a
 * value may hold escape sequences (set the pane's title, clear the screen), a CR LF that forges a
 * table row, or BiDi controls that reverse what follows. A terminal must show them, not obey them.
 * See docs/cli.md#what-a-terminal-shows.
 */

// C0 controls, DEL, C1 controls, the line and paragraph separators, and the BiDi formatting
// characters (marks, embeddings, overrides, isolates).
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// What JSON.stringify leaves raw of the above: it escapes C0 controls itself.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** The string with every control and BiDi formatting character shown as `\uXXXX`. */
export const visible = (s: string): string => s.replace(INVISIBLE, escape);

/**
 * The first `width` characters (code points) of a string, the last one an ellipsis when it was
 * cut. Reads no further than it keeps: a 1.4 MB value costs what its first cells cost.
 */
export const truncate = (s: string, width: number): string => {
  if (s.length <= width) return s; // UTF-16 units: never fewer than code points
  let out = "";
  let n = 0;
  for (const c of s) {
    if (n === width - 1) return `${out}…`;
    out += c;
    n++;
  }
  return out;
};

/** A string from the store as a cell of at most `width` characters: made visible, then cut. */
export const cellText = (s: string, width: number): string => truncate(visible(truncate(s, width)), width);

/**
 * A value as one line of JSON that a terminal cannot be driven by: JSON.stringify's output with C1
 * controls, DEL, line separators and BiDi characters escaped too (still valid JSON, same value).
 */
export const jsonLine = (value: unknown): string => JSON.stringify(value).replace(RAW_IN_JSON, escape);
