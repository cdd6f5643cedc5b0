// A string literal (skipped whole), or an integer literal of 16 digits or more that is not part of
// a fraction or an exponent: the integers a JS number may not hold exactly.
const STRING_OR_BIG_INT = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

/**
 * Parses JSON as `JSON.parse` does, except that integers of 16 digits or more come out as their
 * decimal strings: the server's timestamps are Unix nanoseconds, beyond 2^53, and one rounded
 * through a number makes a poll repeat or miss changes (docs/discovery.md#timestamps).
 * Throws a SyntaxError as `JSON.parse` does.
 *
 * @example
 * parseLossless('{"latest_timestamp":1796410251087118696}') // { latest_timestamp: "1796410251087118696" }
 */
export const parseLossless = (text: string): unknown =>
  JSON.parse(text.replace(STRING_OR_BIG_INT, (match) => (match.startsWith('"') ? match : `"${match}"`)));
