import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { decodeError, type Instance, type NamingError } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";
import { goString, goStringMap } from "../../shared/go-json.js";
import {
  addrOfHostPort,
  blankInstance,
  checkLiteralPrefix,
  decodeWith,
  finishInstance,
  storedHostPortOf,
  parseJsonObject,
  segmentUnder,
} from "./layout-support.js";

/** etcd's `naming/endpoints` update (`internal.Update`; 3.4's `naming.Update`): Go field names. */
const UpdateJson = t.partial(
  {
    Op: t.number,
    Addr: t.string,
    Metadata: t.unknown,
  },
  "Update",
);

/**
 * Metadata of any JSON as a record of strings (see the layout's doc); a `Decode` error for JSON
 * nested too deep to be written back as text (`JSON.stringify` would overflow the stack).
 */
const metadataOf = (key: string, metadata: unknown): E.Either<NamingError, Record<string, string>> => {
  if (metadata === null || metadata === undefined) return E.right({});
  try {
    const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
    if (typeof metadata !== "object" || Array.isArray(metadata)) return E.right({ value: text(metadata) });
    // fromEntries defines every key as its own property, "__proto__" included.
    return E.right(Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, text(v)])));
  } catch (e) {
    return E.left(
      decodeError(key, `field "Metadata" cannot be read as text (${(e as Error).name})`, "Metadata"),
    );
  }
};

/**
 * etcd's gRPC naming layout (Go `go.etcd.io/etcd/client/v3/naming/endpoints`, and 3.4's
 * `clientv3/naming`): keys `<target>/<addr>`, values
 * `{"Op":0,"Addr":"10.0.0.5:50051","Metadata":..}` (Go field names and order, no spaces, a nil
 * Metadata as `null`); a lease is optional. `prefix` (default none) is prepended to the target
 * as it is: with prefix "/services/", app "echo" is the target "/services/echo".
 *
 * Mapping to `Instance` (one instance per address):
 * - appId = the whole target, "/" included ("svc/echo"); hostname = the key's last segment,
 *   which etcd's own writers make the address (rxnaming writes the instance's hostname there:
 *   register with hostname "10.0.0.5:50051" to follow that convention);
 * - addrs = [`grpc://<Addr>`] (an Addr that has a scheme already is kept as it is; an empty one,
 *   or one with whitespace, is a `Decode` error);
 * - metadata = `Metadata`: an object of strings as it is; any other JSON is made strings (see
 *   below); written back as an object of strings, `null` when empty;
 * - `Op` must be 0 (Add): a stored Delete (1) is a `Decode` error, and so leaves the set, as
 *   3.4's watcher drops the address;
 * - lossy: only one address is written, the first `grpc://` one's host:port (an instance without
 *   one is `InvalidInstance` at `register`); region, zone, env, version, status and timestamp are
 *   not written, and read back as "", 0 (lastTs) and 1 (status).
 * - Metadata of any other JSON: non-string values of an object become their JSON text
 *   (`{"weight":10}` reads as `{ weight: "10" }`), a non-object becomes `{ value: <JSON text> }`.
 *
 * A target nests in another ("svc/echo" in "svc"): the watch of "svc" skips keys further down
 * ("svc/echo/10.0.0.5:50051") quietly, where etcd's own watcher of "svc/" would list them. So an
 * address with "/" in it (a unix socket path) cannot be a key's last segment here.
 *
 * @example
 * etcdEndpointsLayout().keyOf(instance, leaseId) // "svc/echo/10.0.0.5:50051"
 */
export const etcdEndpointsLayout = (prefix = ""): KeyLayout => {
  const root = checkLiteralPrefix(prefix);
  const appPrefix = (appId: string): string => `${root}${appId}/`;
  return {
    name: "etcd-endpoints",
    appIdProblem: () => undefined,
    appPrefix,
    keyOf: (instance) => `${appPrefix(instance.appId)}${instance.hostname}`,
    hostnameOf: (appId, key) => segmentUnder(appPrefix(appId), key),
    encode: (i: Instance) =>
      `{"Op":0,"Addr":${goString(storedHostPortOf("etcd-endpoints", i))},"Metadata":${goStringMap(i.metadata)}}`,
    decode: ({ key, appId, hostname }, raw) =>
      pipe(
        parseJsonObject(key, raw),
        E.chain(decodeWith(UpdateJson, key)),
        E.chain((u) => {
          const op = u.Op ?? 0;
          if (op !== 0) {
            return E.left(decodeError(key, `Op ${op} is not an added endpoint (Op 0)`, "Op"));
          }
          return pipe(
            E.Do,
            E.apS("addr", addrOfHostPort(key, u.Addr ?? "", "Addr")),
            E.apS("metadata", metadataOf(key, u.Metadata)),
            E.chain(({ addr, metadata }) => {
              const draft = blankInstance(appId, hostname);
              draft.addrs = [addr];
              draft.metadata = metadata;
              return finishInstance(key)(draft);
            }),
          );
        }),
      ),
  };
};
