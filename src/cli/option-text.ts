import { usageError } from "./cli-error.js";

// C0 and C1 controls, DEL, and the BiDi formatting characters (marks, embeddings, overrides,
// isolates): nothing a name, an address or a label has any use for, and what a terminal obeys.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const code = (c: string): string => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Refuses an option's value that holds a control or BiDi formatting character, before it reaches
 * the store (where every reader would have to defend against it): a usage error naming the option,
 * the character and where it is, never the character itself.
 */
export const printableOption = (flag: string, value: string): string => {
  const bad = UNPRINTABLE.exec(value);
  if (bad === null) return value;
  const what = /[\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/.test(bad[0])
    ? "a BiDi formatting character"
    : "a control character";
  throw usageError(`${flag}: must not contain ${what} ${code(bad[0])} (at index ${bad.index})`);
};
