import * as E from "fp-ts/lib/Either.js";
import type { Instance } from "./instance.js";
import { invalidInstance, type NamingError } from "./naming-error.js";

const MAX_NAME_BYTES = 256;
// Whitespace (Unicode-aware), C0/C1 control characters and the BiDi formatting characters (which
// make a terminal show a name reversed); in a hostname, "/" too: it is the last segment of every
// key layout.
const FORBIDDEN_IN_HOSTNAME = /[\s\p{Cc}\u202a-\u202e\u2066-\u2069/]/u;
const FORBIDDEN_IN_APPID = /[\s\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

const checkName = (value: unknown, forbidden: RegExp): string | undefined => {
  if (typeof value !== "string") return `must be a string, got ${typeof value}`;
  if (value.length === 0) return "must not be empty";
  const bad = forbidden.exec(value);
  if (bad !== null) return `must not contain ${describeChar(bad[0])} (at index ${bad.index})`;
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_NAME_BYTES) return `must be at most ${MAX_NAME_BYTES} bytes, got ${bytes}`;
  return undefined;
};

/**
 * Checks a hostname: non-empty, no "/", no whitespace, no control characters, at most 256 bytes
 * of UTF-8. Returns the reason it is not valid, or `undefined`.
 */
export const nameProblem = (value: unknown): string | undefined => checkName(value, FORBIDDEN_IN_HOSTNAME);

/**
 * Checks an appId: as a hostname, except that it may contain "/" (etcd's gRPC naming targets and
 * go-zero keys do: "svc/echo"), though not an empty segment ("/a", "a//b", "a/"). Whether a key
 * layout can hold a "/" is the layout's to say.
 */
export const appIdProblem = (value: unknown): string | undefined => {
  const problem = checkName(value, FORBIDDEN_IN_APPID);
  if (problem !== undefined) return problem;
  const s = value as string;
  if (s.startsWith("/") || s.endsWith("/") || s.includes("//")) {
    return `must not have an empty segment between "/" (got ${quoted(s)})`;
  }
  return undefined;
};

const describeChar = (c: string): string =>
  c === "/" ? '"/"' : `${/\s/u.test(c) ? "whitespace" : kindOf(c.charCodeAt(0))} ${codePoint(c)}`;

const codePoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

const kindOf = (c: number): string =>
  isBidiFormatting(c) ? "a BiDi formatting character" : "a control character";

/** U+202A-U+202E and U+2066-U+2069: embeddings, overrides and isolates, which reorder what follows. */
const isBidiFormatting = (c: number): boolean => (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

// C0, DEL and C1 (what a terminal acts on rather than shows); in addresses, the BiDi formatting
// characters too.
const CONTROL = /\p{Cc}/u;
const CONTROL_OR_BIDI = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

/**
 * Checks a text field (region, zone, env, version, a metadata key or value): any text, but no
 * control character, which a terminal or a log would act on. Returns the reason, or undefined.
 */
export const textProblem = (value: string): string | undefined => {
  const bad = CONTROL.exec(value);
  return bad === null
    ? undefined
    : `must not contain a control character (${codePoint(bad[0])} at index ${bad.index})`;
};

// scheme "://": what Kratos' resolvers split on; "unix:/run/app.sock" has no authority to dial.
const SCHEME_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Checks an address: a parseable URL of the form `scheme://authority[/path]`, such as
 * "grpc://10.0.0.1:9000" or "unix:///run/app.sock". Kratos' resolvers read the authority after
 * "://"; a URL without one ("unix:/run/app.sock", "mailto:x") would be dialed as garbage.
 */
export const addrProblem = (addr: unknown): string | undefined => {
  if (typeof addr !== "string") return `must be a string, got ${typeof addr}`;
  // On the raw string: URL parsing drops tab, CR and LF, so a URL that parses may still forge a
  // line wherever the address is printed.
  const bad = CONTROL_OR_BIDI.exec(addr);
  if (bad !== null)
    return `must not contain ${kindOf(bad[0].charCodeAt(0))} (${codePoint(bad[0])} at index ${bad.index})`;
  if (!URL.canParse(addr)) return `${quoted(addr)} is not a parseable URL`;
  return SCHEME_AUTHORITY.test(addr)
    ? undefined
    : `${quoted(addr)} is not of the form scheme://host:port (write "unix:///path" for a socket)`;
};

/**
 * Any decoded JSON value in a message, shallowly: a value from the store may be megabytes, or
 * nested thousands deep (too deep for `JSON.stringify`), and its error message must stay short.
 */
export const describeValue = (u: unknown): string => {
  if (typeof u === "string") return quoted(u);
  if (u === null || typeof u === "number" || typeof u === "boolean") return String(u);
  if (Array.isArray(u)) return `an array of ${u.length} item${u.length === 1 ? "" : "s"}`;
  return typeof u === "object" ? "an object" : typeof u;
};

/** A bad value in a message: JSON-quoted, and cut short, so that no stored value makes a huge error. */
export const quoted = (s: string, max = 120): string =>
  s.length <= max ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, max))}... (${s.length} characters)`;

/**
 * Validates every field of an instance (docs/hostile-input.md). `key` is the backend key when the
 * instance was read from one, so that errors name it.
 */
export const validateInstance =
  (key?: string) =>
  (i: Instance): E.Either<NamingError, Instance> => {
    for (const field of STRING_FIELDS) {
      if (typeof i[field] !== "string") return E.left(invalidInstance(field, "must be a string", key));
    }
    if (!Array.isArray(i.addrs)) return E.left(invalidInstance("addrs", "must be an array of URLs", key));
    if (typeof i.metadata !== "object" || i.metadata === null || Array.isArray(i.metadata)) {
      return E.left(invalidInstance("metadata", "must be a record of strings", key));
    }
    for (const k in i.metadata) {
      const v: unknown = i.metadata[k];
      if (Object.hasOwn(i.metadata, k) && typeof v !== "string") {
        return E.left(invalidInstance(`metadata.${k}`, `must be a string, got ${typeof v}`, key));
      }
    }
    return validateValues(key)(i);
  };

const STRING_FIELDS = ["region", "zone", "env", "version"] as const;

/**
 * The checks of {@link validateInstance} that types alone do not make: names, URLs, numbers.
 * For an instance whose field types a decoder has already checked (the Kratos codec), this is
 * all that is left to do, and it is what a cold start of thousands of instances pays for each.
 */
export const validateValues =
  (key?: string) =>
  (i: Instance): E.Either<NamingError, Instance> => {
    const problem = valuesProblem(i, key);
    return problem === undefined ? E.right(i) : E.left(problem);
  };

/** {@link validateValues} without an Either per valid instance: the error, or undefined. */
export const valuesProblem = (i: Instance, key?: string): NamingError | undefined => {
  const app = appIdProblem(i.appId);
  if (app !== undefined) return invalidInstance("appId", app, key);
  const host = nameProblem(i.hostname);
  if (host !== undefined) return invalidInstance("hostname", host, key);
  for (let n = 0; n < i.addrs.length; n++) {
    const problem = addrProblem(i.addrs[n]);
    if (problem !== undefined) return invalidInstance(`addrs[${n}]`, problem, key);
  }
  const ts = int64Problem(i.lastTs);
  if (ts !== undefined) return invalidInstance("lastTs", ts, key);
  const status = int64Problem(i.status);
  if (status !== undefined) return invalidInstance("status", status, key);
  return textFieldsProblem(i, key);
};

// Go reads "latest_timestamp" and "status" into an int64: an integer in [-2^63, 2^63), which
// JSON.stringify also writes as plain digits (it switches to "1e+21" only far above).
const INT64_BOUND = 2 ** 63;

const int64Problem = (n: number): string | undefined =>
  Number.isInteger(n) && n >= -INT64_BOUND && n < INT64_BOUND
    ? undefined
    : `must be an integer within Go's int64, got ${String(n)}`;

/** No control character in region, zone, env, version, nor in metadata's keys and values. */
const textFieldsProblem = (i: Instance, key?: string): NamingError | undefined => {
  for (const field of STRING_FIELDS) {
    const problem = textProblem(i[field]);
    if (problem !== undefined) return invalidInstance(field, problem, key);
  }
  const metadata = i.metadata;
  for (const k in metadata) {
    if (!Object.hasOwn(metadata, k)) continue;
    const inKey = textProblem(k);
    if (inKey !== undefined) return invalidInstance("metadata", `key ${quoted(k, 40)} ${inKey}`, key);
    const problem = textProblem(metadata[k]!);
    if (problem !== undefined) return invalidInstance(`metadata.${k.slice(0, 40)}`, problem, key);
  }
  return undefined;
};
