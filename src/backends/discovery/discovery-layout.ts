import { decodeInstance, encodeInstance, invalidInstance, type Instance } from "../../model/index.js";
import type { KeyLayout, KeyValue } from "../../port/index.js";
import { oneSegmentAppKeys } from "../layouts/layout-support.js";

/**
 * How the discovery backend names instances for the core: key `<appid>/<hostname>` (the server's
 * own identity of an instance), value Kratos v1's JSON of it. The server has no keys: the key is
 * only a name between the backend and the core (docs/discovery.md#mapping).
 *
 * The server holds status 1 (up) or 2 (waiting) and refuses anything else: such an instance is an
 * `InvalidInstance` error of its registration.
 */
export const discoveryLayout = (): KeyLayout => ({
  name: "discovery",
  ...oneSegmentAppKeys("", "discovery", "hostname"),
  encode: (i: Instance) => {
    if (i.status !== 1 && i.status !== 2) {
      throw invalidInstance("status", `must be 1 (up) or 2 (waiting) on a discovery server, got ${i.status}`);
    }
    return encodeInstance(i);
  },
  decode: (where, value) => decodeInstance(where)(value),
});

/** A decimal string of a whole number as a number (a server timestamp), anything else as it is. */
const numeric = (v: unknown): unknown => (typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v);

/**
 * An instance as the server serves it, as the key and value the core reads: Kratos v1's fields
 * (the server's own timestamps besides `latest_timestamp` are dropped). Fields of the wrong type
 * are passed on as they came, for the core's decoding to name them.
 */
export const servedEntry = (appId: string, served: unknown): KeyValue => {
  if (typeof served !== "object" || served === null || Array.isArray(served)) {
    return { key: `${appId}/`, value: JSON.stringify(served) };
  }
  const s = served as Record<string, unknown>;
  const hostname = typeof s.hostname === "string" ? s.hostname : "";
  return {
    key: `${appId}/${hostname}`,
    value: JSON.stringify({
      region: s.region,
      zone: s.zone,
      env: s.env,
      appid: s.appid,
      hostname: s.hostname,
      addrs: s.addrs,
      version: s.version,
      latest_timestamp: numeric(s.latest_timestamp),
      metadata: s.metadata,
      status: numeric(s.status),
    }),
  };
};
