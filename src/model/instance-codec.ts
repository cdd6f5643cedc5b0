import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { goString, goStringMap, goStringSlice } from "../shared/go-json.js";
import type { Instance } from "./instance.js";
import { decodeError, invalidInstance, invalidOption, type NamingError } from "./naming-error.js";
import { describeValue, quoted, validateInstance, valuesProblem } from "./validate.js";

/**
 * Kratos v1's JSON for `naming.Instance`, as Go's `encoding/json` really writes it: every field
 * may be missing (a Go service may omit them), nil slices and maps come as `null`.
 * Unknown fields are ignored (a newer Kratos may add some; they must not hide the instance),
 * and are not written back.
 */
export const KratosInstanceJson = t.partial(
  {
    region: t.string,
    zone: t.string,
    env: t.string,
    appid: t.string,
    hostname: t.string,
    addrs: t.union([t.readonlyArray(t.string), t.null]),
    version: t.string,
    latest_timestamp: t.number,
    metadata: t.union([t.record(t.string, t.string), t.null]),
    status: t.number,
  },
  "KratosInstanceJson",
);
export type KratosInstanceJson = t.TypeOf<typeof KratosInstanceJson>;

/** The JSON Kratos writes, field for field and in its order. */
export interface KratosInstanceWire {
  region: string;
  zone: string;
  env: string;
  appid: string;
  hostname: string;
  addrs: readonly string[];
  version: string;
  latest_timestamp: number;
  metadata: Readonly<Record<string, string>>;
  status: number;
}

/** `Instance` <-> Kratos v1 JSON object. Missing fields decode to the defaults of Go's zero values. */
export const InstanceFromKratosJson = new t.Type<Instance, KratosInstanceWire, unknown>(
  "InstanceFromKratosJson",
  (u): u is Instance => typeof u === "object" && u !== null && "appId" in u && "hostname" in u,
  (u, c) =>
    pipe(
      KratosInstanceJson.validate(u, c),
      E.map((j): Instance => ({
        region: j.region ?? "",
        zone: j.zone ?? "",
        env: j.env ?? "",
        appId: j.appid ?? "",
        hostname: j.hostname ?? "",
        addrs: j.addrs ?? [],
        version: j.version ?? "",
        lastTs: j.latest_timestamp ?? 0,
        metadata: j.metadata ?? {},
        status: j.status ?? 0,
      })),
    ),
  (i) => ({
    region: i.region,
    zone: i.zone,
    env: i.env,
    appid: i.appId,
    hostname: i.hostname,
    addrs: i.addrs,
    version: i.version,
    latest_timestamp: Math.round(i.lastTs),
    metadata: i.metadata,
    status: i.status,
  }),
);

/**
 * Encodes an instance as Kratos v1 does, byte for byte what Go's `encoding/json` writes for the
 * same `naming.Instance`: all fields in its order, `<`, `>` and `&` escaped, metadata keys sorted.
 * (Go writes a nil slice or map as `null`; an instance here always has them, `[]` and `{}`.)
 * Equal instances from a Go service and from rxnaming are then equal values in etcd.
 */
export const encodeInstance = (i: Instance): string => {
  // A caller's value, not ours: anything but a valid instance would be written as broken JSON.
  if (typeof i !== "object" || i === null || Array.isArray(i)) {
    throw invalidInstance("instance", `must be an object, got ${describeValue(i)}`);
  }
  // Written rounded to whole nanoseconds, as Go's int64 reads it.
  const valid = validateInstance()(Number.isFinite(i.lastTs) ? { ...i, lastTs: Math.round(i.lastTs) } : i);
  if (E.isLeft(valid)) throw valid.left;
  return encodeValid(valid.right);
};

const encodeValid = (i: Instance): string =>
  `{"region":${goString(i.region)},"zone":${goString(i.zone)},"env":${goString(i.env)},` +
  `"appid":${goString(i.appId)},"hostname":${goString(i.hostname)},` +
  `"addrs":${i.addrs.length === 0 ? "[]" : goStringSlice(i.addrs)},"version":${goString(i.version)},` +
  `"latest_timestamp":${JSON.stringify(Math.round(i.lastTs))},` +
  `"metadata":${Object.keys(i.metadata).length === 0 ? "{}" : goStringMap(i.metadata)},` +
  `"status":${JSON.stringify(i.status)}}`;

/** Where a value was read from: its key and the appid and hostname that key names. */
export interface KeyContext {
  /** The key the value was read at. */
  readonly key: string;
  /** The app the key is under. */
  readonly appId: string;
  /** The hostname the key names. */
  readonly hostname: string;
}

/**
 * The fast path of decoding: the same rules as {@link InstanceFromKratosJson}, checked with
 * `typeof` on the object JSON.parse made, building the instance without intermediate copies.
 * Returns undefined for anything it does not accept; the io-ts codec then says why, field by
 * field. (Decoding 10,000 instances on a cold start is what this saves: io-ts' combinators cost
 * more than JSON.parse itself.)
 */
export const fromKratosJson = (
  j: Record<string, unknown>,
): { -readonly [K in keyof Instance]: Instance[K] } | undefined => {
  const { region = "", zone = "", env = "", appid = "", hostname = "", version = "" } = j;
  const { addrs = null, metadata = null, latest_timestamp = 0, status = 0 } = j;
  if (
    typeof region !== "string" ||
    typeof zone !== "string" ||
    typeof env !== "string" ||
    typeof appid !== "string" ||
    typeof hostname !== "string" ||
    typeof version !== "string" ||
    typeof latest_timestamp !== "number" ||
    typeof status !== "number"
  ) {
    return undefined;
  }
  if (addrs !== null && !(Array.isArray(addrs) && addrs.every((a) => typeof a === "string")))
    return undefined;
  if (metadata !== null) {
    if (typeof metadata !== "object" || Array.isArray(metadata)) return undefined;
    const record = metadata as Record<string, unknown>;
    // JSON.parse makes plain objects: own, enumerable keys only, no array allocated to walk them.
    for (const k in record) if (typeof record[k] !== "string") return undefined;
  }
  return {
    region,
    zone,
    env,
    appId: appid,
    hostname,
    addrs: (addrs ?? []) as string[],
    version,
    lastTs: latest_timestamp,
    metadata: (metadata ?? {}) as Record<string, string>,
    status,
  };
};

const describeErrors =
  (key: string) =>
  (errors: t.Errors): NamingError => {
    const first = errors[0];
    const path = first?.context
      .map((entry) => entry.key)
      .filter((k) => k !== "" && !/^\d+$/.test(k))
      .join(".");
    const got = first === undefined ? "" : `, got ${describeValue(first.value)}`;
    return decodeError(
      key,
      `field "${path}" must be ${first?.context[first.context.length - 1]?.type.name ?? "valid"}${got}`,
      path,
    );
  };

/**
 * Decodes the value stored at a key. Never throws: malformed JSON, wrong field types, a value
 * whose appid or hostname contradicts its key, and a value that is not a valid instance are all
 * a `Decode` error naming the key (and the field, where there is one).
 *
 * A value that omits appid or hostname takes them from its key, since the key is what Kratos
 * itself resolves by.
 */
export const decodeInstance = (ctx: KeyContext): ((raw: string) => E.Either<NamingError, Instance>) => {
  const problem = contextProblem(ctx);
  if (problem !== undefined) return () => E.left(problem);
  return (raw) =>
    typeof raw === "string"
      ? decodeAt(ctx, raw)
      : E.left(decodeError(ctx.key, `the value must be a string, got ${describeValue(raw)}`));
};

const contextProblem = (ctx: unknown): NamingError | undefined => {
  if (typeof ctx !== "object" || ctx === null || Array.isArray(ctx)) {
    return invalidOption("key context", `must be { key, appId, hostname }, got ${describeValue(ctx)}`);
  }
  const c = ctx as Record<string, unknown>;
  for (const field of ["key", "appId", "hostname"]) {
    if (typeof c[field] !== "string") {
      return invalidOption(`key context.${field}`, `must be a string, got ${describeValue(c[field])}`);
    }
  }
  return undefined;
};

const decodeAt = (ctx: KeyContext, raw: string): E.Either<NamingError, Instance> => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return E.left(decodeError(ctx.key, `malformed JSON (${(e as Error).message})`));
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return E.left(
      decodeError(
        ctx.key,
        `expected a JSON object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`,
      ),
    );
  }
  const fast = fromKratosJson(json as Record<string, unknown>);
  if (fast === undefined) {
    return pipe(
      InstanceFromKratosJson.decode(json),
      E.mapLeft(describeErrors(ctx.key)),
      E.chain((i) => checkAgainstKey(ctx, { ...i })),
    );
  }
  return checkAgainstKey(ctx, fast);
};

/** Fills appid and hostname from the key, checks that they match it, validates, freezes. */
const checkAgainstKey = (
  ctx: KeyContext,
  i: { -readonly [K in keyof Instance]: Instance[K] },
): E.Either<NamingError, Instance> => {
  if (i.appId === "") i.appId = ctx.appId;
  if (i.hostname === "") i.hostname = ctx.hostname;
  if (i.appId !== ctx.appId) {
    return E.left(
      decodeError(ctx.key, `appid ${quoted(i.appId)} does not match the key's "${ctx.appId}"`, "appid"),
    );
  }
  if (i.hostname !== ctx.hostname) {
    return E.left(
      decodeError(
        ctx.key,
        `hostname ${quoted(i.hostname)} does not match the key's "${ctx.hostname}"`,
        "hostname",
      ),
    );
  }
  // The decoders checked every field's type: what is left is names, URLs and numbers.
  const invalid = valuesProblem(i, ctx.key);
  if (invalid !== undefined) return E.left(decodeError(ctx.key, invalid.message, invalid.field));
  // Everything here was made by JSON.parse for this instance alone: freeze it in place, no copies.
  Object.freeze(i.addrs);
  Object.freeze(i.metadata);
  return E.right(Object.freeze(i));
};
