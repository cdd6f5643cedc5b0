/**
 * JSON as Go's `encoding/json` writes it, for the layouts whose values Go services write: what
 * `JSON.stringify` does, plus Go's differences, so that rxnaming's writes match theirs byte for
 * byte:
 *
 * - `<`, `>`, `&`, U+2028 and U+2029 inside strings are escaped (`\u003c`, ...), as Go's
 *   HTML-safe default does;
 * - map keys are sorted (by code point, which is UTF-8 byte order, as Go sorts them);
 * - nil maps and slices are `null`: callers pass `null` where Go would have nil.
 *
 * (A lone UTF-16 surrogate, which Go would write as `\ufffd`, cannot reach etcd as UTF-8 anyway.)
 */

/** A JSON string literal as Go writes it. */
export const goString = (s: string): string => {
  const json = JSON.stringify(s);
  // These characters never occur inside an escape sequence, so a replace over the output is safe.
  return /[<>&\u2028\u2029]/.test(json) ? json.replace(/[<>&\u2028\u2029]/g, escape) : json;
};

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Go's `map[string]string`: keys sorted, `null` for an empty (nil) map. */
export const goStringMap = (record: Readonly<Record<string, string>>): string => {
  const keys = Object.keys(record);
  if (keys.length === 0) return "null";
  keys.sort(byCodePoint);
  return `{${keys.map((k) => `${goString(k)}:${goString(record[k]!)}`).join(",")}}`;
};

/** Go's `[]string`: `null` for an empty (nil) slice. */
export const goStringSlice = (items: readonly string[]): string =>
  items.length === 0 ? "null" : `[${items.map(goString).join(",")}]`;

/**
 * Code point order, which is the byte order of UTF-8 (Go's string order). UTF-16 code unit order
 * (`<`) differs from it only where surrogates meet U+E000..U+FFFF.
 */
export const byCodePoint = (a: string, b: string): number => {
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
};
