import type { Metadata } from "@grpc/grpc-js";
import {
  p2c,
  ringHash,
  weightedRoundRobin,
  type EjectionEvent,
  type EjectionOptions,
} from "../balancers/index.js";
import type { NamingError } from "../model/index.js";
import type { GrpcJs } from "./grpc-js.js";
import { registerNoInstancesPolicy } from "./no-instances-policy.js";
import { registerPolicy } from "./picker-policy.js";

/**
 * `{"rxnaming_p2c": {}}`: Kratos warden's p2c, fed by every call's outcome and latency. Every
 * policy also takes `ejection` and (but ring hash) `slowStartMs`: docs/grpc-policies.md.
 */
export const P2C_POLICY = "rxnaming_p2c";
/** `{"rxnaming_ring_hash": {"hashHeader": "x-user-id"}}`: consistent hashing on a request header. */
export const RING_HASH_POLICY = "rxnaming_ring_hash";
/** `{"rxnaming_wrr": {}}`: smooth weighted round robin on `metadata.weight`. */
export const WRR_POLICY = "rxnaming_wrr";

type Json = Record<string, unknown>;

/** The config object of a policy, with only `known` keys; anything else throws, naming it. */
const object = (name: string, json: unknown, known: readonly string[]): Json => {
  if (json === undefined || json === null) return {};
  if (typeof json !== "object" || Array.isArray(json))
    throw new Error(`${name}: the config must be an object`);
  const unknown = Object.keys(json).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${name}: unknown config key ${unknown.join(", ")}`);
  return json as Json;
};

const positive = (name: string, json: Json, key: string): number | undefined => {
  const value = json[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${name}: ${key} must be a number > 0, got ${JSON.stringify(value)}`);
  }
  return value;
};

/** What every policy's config may hold besides its own keys: the balancers' traffic safety. */
interface TrafficConfig {
  readonly slowStartMs?: number | undefined;
  readonly ejection?: EjectionOptions | boolean | undefined;
}
const TRAFFIC_KEYS = ["slowStartMs", "ejection"];

interface P2cConfig extends TrafficConfig {
  readonly decayMs?: number | undefined;
  readonly forcePickMs?: number | undefined;
}

interface RingHashConfig extends TrafficConfig {
  readonly hashHeader?: string | undefined;
  readonly replicas?: number | undefined;
}

/** The traffic keys of a config, checked by the balancer that takes them. */
const traffic = (o: Json): TrafficConfig => ({
  slowStartMs: o["slowStartMs"] as number | undefined,
  ejection: o["ejection"] as EjectionOptions | boolean | undefined,
});

/** A config's ejection option, told to `onEvent` too (metrics): off stays off. */
const listened = (
  ejection: EjectionOptions | boolean | undefined,
  onEvent: ((event: EjectionEvent) => void) | undefined,
): EjectionOptions | boolean | undefined =>
  onEvent === undefined || ejection === false
    ? ejection
    : { ...(typeof ejection === "object" ? ejection : {}), onEvent };

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The first value of a request header, as a hash key. */
const header = (metadata: Metadata, name: string): string | undefined => {
  const value = metadata.get(name)[0];
  return value === undefined ? undefined : typeof value === "string" ? value : value.toString("base64");
};

/**
 * Registers the three policies with grpc-js (again on every call: the latest wins, and they are
 * the same). `report` hears a config that cannot be read and the balancers' own complaints (a
 * bad `metadata.weight`).
 */
export const registerPolicies = (grpc: GrpcJs, report: (error: NamingError) => void): void => {
  registerNoInstancesPolicy(grpc);
  registerPolicy<P2cConfig>(
    grpc,
    {
      name: P2C_POLICY,
      learns: true,
      parse: (json) => {
        const o = object(P2C_POLICY, json, ["decayMs", "forcePickMs", ...TRAFFIC_KEYS]);
        return defined({
          decayMs: positive(P2C_POLICY, o, "decayMs"),
          forcePickMs: positive(P2C_POLICY, o, "forcePickMs"),
          ...traffic(o),
        });
      },
      toJson: (config) => config,
      balancer: (config, onEvent) =>
        p2c(defined({ ...config, ejection: listened(config.ejection, onEvent) })),
    },
    report,
  );

  registerPolicy<RingHashConfig>(
    grpc,
    {
      name: RING_HASH_POLICY,
      wholeSet: true,
      parse: (json) => {
        const o = object(RING_HASH_POLICY, json, ["hashHeader", "replicas", "ejection"]);
        const hashHeader = o["hashHeader"];
        if (
          hashHeader !== undefined &&
          (typeof hashHeader !== "string" || !/^[0-9a-z_.-]+$/i.test(hashHeader))
        ) {
          throw new Error(
            `${RING_HASH_POLICY}: hashHeader must be a header name, got ${JSON.stringify(hashHeader)}`,
          );
        }
        return defined({
          // Metadata keys are lower case in grpc-js.
          hashHeader: hashHeader?.toLowerCase(),
          replicas: positive(RING_HASH_POLICY, o, "replicas"),
          ejection: o["ejection"] as EjectionOptions | boolean | undefined,
        });
      },
      toJson: (config) => config,
      balancer: (config, onEvent) =>
        ringHash(defined({ replicas: config.replicas, ejection: listened(config.ejection, onEvent) })),
      // Without the header (or without hashHeader) a call has no key: ringHash then spreads such
      // calls evenly rather than sending them all to one instance.
      request: (config, metadata) => {
        if (config.hashHeader === undefined) return undefined;
        const hashKey = header(metadata, config.hashHeader);
        return hashKey === undefined ? undefined : { hashKey };
      },
    },
    report,
  );

  registerPolicy<TrafficConfig>(
    grpc,
    {
      name: WRR_POLICY,
      parse: (json) => defined(traffic(object(WRR_POLICY, json, TRAFFIC_KEYS))),
      toJson: (config) => config,
      balancer: (config, onEvent) =>
        weightedRoundRobin(
          defined({ ...config, ejection: listened(config.ejection, onEvent), onError: report }),
        ),
    },
    report,
  );
};
