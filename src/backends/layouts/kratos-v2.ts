import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { decodeError, invalidOption, nameProblem, quoted, type Instance } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";
import { goString, goStringMap, goStringSlice } from "../../shared/go-json.js";
import {
  blankInstance,
  decodeWith,
  finishInstance,
  oneSegmentAppKeys,
  parseJsonObject,
} from "./layout-support.js";

/**
 * Kratos v2's `registry.ServiceInstance` as its etcd registry (`contrib/registry/etcd`) marshals
 * it. Every field may be missing (Go's zero values); nil maps and slices are `null`.
 */
const ServiceInstanceJson = t.partial(
  {
    id: t.string,
    name: t.string,
    version: t.string,
    metadata: t.union([t.record(t.string, t.string), t.null]),
    endpoints: t.union([t.readonlyArray(t.string), t.null]),
  },
  "ServiceInstance",
);

/**
 * Kratos v2's layout (`contrib/registry/etcd`): keys `<namespace>/<name>/<id>`, namespace
 * (`prefix`) default "/microservices", values
 * `{"id":..,"name":..,"version":..,"metadata":{..}|null,"endpoints":[..]|null}` in Go's
 * `encoding/json` (fields in struct order, no spaces, metadata keys sorted, nil as `null`).
 *
 * The prefix is Kratos' namespace, used as it is (a leading "/" stays; a trailing one is
 * dropped, since Kratos appends its own). Kratos' watcher ranges over the namespace and name
 * without a trailing slash and keeps what has the right `name`; rxnaming watches
 * `<namespace>/<name>/` (so app "demo" never sees "demo2") and still checks `name`.
 *
 * Mapping to `Instance`:
 * - hostname = `id` (the key's last segment; a value whose `id` differs is a `Decode` error, a
 *   missing one is taken from the key); appId = `name` (a value with another name, or none, is a
 *   `Decode` error: Kratos' watcher would not list it either);
 * - addrs = `endpoints`, metadata = `metadata`, version = `version`;
 * - lossy: Kratos v2 has no region, zone, env, status or timestamp. They are not written, and
 *   read back as "" (region, zone, env), 0 (lastTs) and 1 (status: listed while its lease lives).
 *
 * An appid with "/" cannot be held (it would read back as another app's id): `InvalidInstance`
 * at `register` and `build`. Kratos v2 leases last 15 s; set `ttlSeconds: 15` to match.
 *
 * @example
 * kratosV2Layout().keyOf(instance, leaseId) // "/microservices/demo.service/6c5d...-uuid"
 */
export const kratosV2Layout = (prefix = "/microservices"): KeyLayout => {
  const namespace = prefix.replace(/\/+$/, "");
  const problem = namespace
    .split("/")
    .filter((segment, n) => !(n === 0 && segment === ""))
    .map(nameProblem)
    .find((p) => p !== undefined);
  if (problem !== undefined) throw invalidOption("prefix", `${JSON.stringify(prefix)}: a segment ${problem}`);
  const root = `${namespace}/`;
  return {
    name: "kratos-v2",
    ...oneSegmentAppKeys(root, "kratos-v2", "id"),
    encode: (i: Instance) =>
      `{"id":${goString(i.hostname)},"name":${goString(i.appId)},"version":${goString(i.version)},` +
      `"metadata":${goStringMap(i.metadata)},"endpoints":${goStringSlice(i.addrs)}}`,
    decode: ({ key, appId, hostname }, raw) =>
      pipe(
        parseJsonObject(key, raw),
        E.chain(decodeWith(ServiceInstanceJson, key)),
        E.chain((j) => {
          const name = j.name ?? "";
          if (name !== appId) {
            return E.left(
              decodeError(key, `name ${quoted(name)} does not match the key's "${appId}"`, "name"),
            );
          }
          const id = j.id === undefined || j.id === "" ? hostname : j.id;
          if (id !== hostname) {
            return E.left(decodeError(key, `id ${quoted(id)} does not match the key's "${hostname}"`, "id"));
          }
          const draft = blankInstance(appId, hostname);
          draft.version = j.version ?? "";
          draft.metadata = j.metadata ?? {};
          draft.addrs = j.endpoints ?? [];
          return finishInstance(key)(draft);
        }),
      ),
  };
};
