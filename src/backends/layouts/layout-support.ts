import * as E from "fp-ts/lib/Either.js";
import type * as t from "io-ts";
import {
  decodeError,
  describeValue,
  invalidInstance,
  invalidOption,
  nameProblem,
  quoted,
  validateInstance,
  type Instance,
  type NamingError,
} from "../../model/index.js";
import type { KeyLayout, KeyMisfit } from "../../port/index.js";
import { authorityOf } from "../../shared/authority.js";

/** A mutable draft of an instance, frozen by {@link finishInstance}. */
export type Draft = { -readonly [K in keyof Instance]: Instance[K] };

/** An instance of the fields the interop layouts have no place for: Go's zero values, status up. */
export const blankInstance = (appId: string, hostname: string): Draft => ({
  region: "",
  zone: "",
  env: "",
  appId,
  hostname,
  addrs: [],
  version: "",
  // None of these formats records a time: 0, as Kratos v1's etcd path writes.
  lastTs: 0,
  metadata: {},
  // None records a status either; an instance is listed only while its lease lives: up.
  status: 1,
});

/** The JSON in `raw`, or a `Decode` error naming `key`: never a throw. */
export const parseJson = (key: string, raw: string): E.Either<NamingError, unknown> => {
  try {
    return E.right(JSON.parse(raw) as unknown);
  } catch (e) {
    return E.left(decodeError(key, `malformed JSON (${(e as Error).message})`));
  }
};

/** A JSON object (not null, not an array), or a `Decode` error naming `key`. */
export const parseJsonObject = (key: string, raw: string): E.Either<NamingError, Record<string, unknown>> =>
  E.chain((json: unknown) =>
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? E.right(json as Record<string, unknown>)
      : E.left(
          decodeError(
            key,
            `expected a JSON object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`,
          ),
        ),
  )(parseJson(key, raw));

/** Decodes `json` with an io-ts codec; the first failure becomes a `Decode` error naming key and field. */
export const decodeWith =
  <A>(codec: t.Decoder<unknown, A>, key: string) =>
  (json: unknown): E.Either<NamingError, A> => {
    const result = codec.decode(json);
    if (E.isRight(result)) return result;
    const first = result.left[0];
    const path =
      first?.context
        .map((entry) => entry.key)
        .filter((k) => k !== "" && !/^\d+$/.test(k))
        .join(".") ?? "";
    const expected = first?.context[first.context.length - 1]?.type.name ?? "valid";
    return E.left(
      decodeError(key, `field "${path}" must be ${expected}, got ${describeValue(first?.value)}`, path),
    );
  };

/** Validates a decoded draft as `instance()` would (a `Decode` error naming the key), and freezes it. */
export const finishInstance =
  (key: string) =>
  (draft: Draft): E.Either<NamingError, Instance> => {
    const valid = validateInstance(key)(draft);
    if (E.isLeft(valid)) return E.left(decodeError(key, valid.left.message, valid.left.field));
    Object.freeze(draft.addrs);
    Object.freeze(draft.metadata);
    return E.right(Object.freeze(draft));
  };

// scheme "://", as the model's address rule asks.
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The address URL of a bare `host:port` that a Go gRPC client dials: "grpc://host:port". An
 * address that already has a scheme ("unix:///run/app.sock") is kept as it is. An empty one, or
 * one with whitespace or control characters (which URL parsing would quietly trim), is a
 * `Decode` error naming `key` (and `field`, when the address is a field of a JSON value).
 */
export const addrOfHostPort = (
  key: string,
  hostPort: string,
  field?: string,
): E.Either<NamingError, string> => {
  const what = field === undefined ? "the value" : `field "${field}"`;
  if (hostPort === "") return E.left(decodeError(key, `${what} is empty, not a host:port`, field));
  const bad = /[\s\p{Cc}]/u.exec(hostPort);
  if (bad !== null) {
    return E.left(
      decodeError(key, `${what} ${quoted(hostPort)} has whitespace or a control character`, field),
    );
  }
  return E.right(HAS_SCHEME.test(hostPort) ? hostPort : `grpc://${hostPort}`);
};

/**
 * The bare `host:port` a layout stores for an instance: the authority of its first `grpc://`
 * address (a path or query is dropped). An instance without one cannot be written in such a
 * layout: `InvalidInstance`, thrown, which the registration reports as its error.
 */
export const storedHostPortOf = (layout: string, instance: Instance): string => {
  const grpc = instance.addrs.find((a) => a.startsWith("grpc://"));
  if (grpc === undefined || authorityOf(grpc) === "") {
    throw invalidInstance(
      "addrs",
      `needs a grpc://host:port address: the ${layout} layout stores one host:port for gRPC clients to dial`,
    );
  }
  return authorityOf(grpc);
};

/** A key that does not fit the layout, for the reason `problem`. */
export const misfit = (problem: string): KeyMisfit => ({ _tag: "Misfit", problem });

/** A key of another app nested under this one: skipped quietly. */
export const NESTED_APP: KeyMisfit = Object.freeze({ _tag: "NestedApp" });

/** Checks a prefix that is prepended to keys as it is: no whitespace, no control characters. */
export const checkLiteralPrefix = (prefix: string): string => {
  const bad = /[\s\p{Cc}]/u.exec(prefix);
  if (bad !== null) {
    throw invalidOption(
      "prefix",
      `${JSON.stringify(prefix)} must not contain whitespace or control characters (at index ${bad.index})`,
    );
  }
  return prefix;
};

/**
 * The last key segment under an app's prefix, for the layouts whose appIds may contain "/": a key
 * further down ("svc/echo/x" under "svc/") belongs to a nested app and is skipped quietly.
 */
export const segmentUnder = (appPrefix: string, key: string): string | KeyMisfit => {
  if (!key.startsWith(appPrefix)) return misfit(`it is not under ${appPrefix}`);
  const rest = key.slice(appPrefix.length);
  if (rest.includes("/")) return NESTED_APP;
  const bad = nameProblem(rest);
  return bad === undefined ? rest : misfit(`its last segment ${bad}`);
};

/**
 * The keys of the Kratos layouts, `<root><appid>/<id>`: an appid of one segment (a "/" in it would
 * read back as another app's id) and an id that is a valid hostname, the key's last segment.
 * `idName` names that segment in errors ("hostname" in Kratos v1, "id" in v2).
 */
export const oneSegmentAppKeys = (
  root: string,
  layout: string,
  idName: string,
): Pick<KeyLayout, "appIdProblem" | "appPrefix" | "keyOf" | "hostnameOf"> => ({
  appIdProblem: (appId) =>
    appId.includes("/")
      ? `must not contain "/" in the ${layout} layout (${root}<appid>/<${idName}>)`
      : undefined,
  appPrefix: (appId) => `${root}${appId}/`,
  keyOf: (instance) => `${root}${instance.appId}/${instance.hostname}`,
  hostnameOf: (appId, key) => {
    // Per key of a cold start: compare in place rather than build the app's prefix again.
    const at = root.length + appId.length;
    if (!(key.startsWith(root) && key.startsWith(appId, root.length) && key[at] === "/")) {
      return misfit(`it is not under ${root}${appId}/`);
    }
    const id = key.slice(at + 1);
    const bad = nameProblem(id);
    return bad === undefined ? id : misfit(`${idName} ${bad}`);
  },
});
