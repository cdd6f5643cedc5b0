import { map, pipe, type MonoTypeOperatorFunction } from "rxjs";
import {
  describeType,
  invalidOption,
  optionsRecord,
  type Instance,
  type InstancesInfo,
} from "../model/index.js";
import { distinctSets } from "./distinct-sets.js";
import { withInstances } from "./same-instances.js";

/** One allowed value, or a list of allowed values (an empty list allows nothing). */
export type Allowed<T> = T | readonly T[];

/**
 * Which instances to keep, by field. Every given field must match; a field left out matches all.
 * `cluster` is `metadata.cluster`, as Kratos names it. `status` is never filtered unless asked:
 * Kratos' etcd path writes `status: 0`, so "up" cannot mean `status === 1` by default.
 */
export interface InstanceSelector {
  /** The zones to keep. */
  readonly zone?: Allowed<string>;
  /** The regions to keep. */
  readonly region?: Allowed<string>;
  /** The environments to keep. */
  readonly env?: Allowed<string>;
  /** The clusters to keep (`metadata.cluster`). */
  readonly cluster?: Allowed<string>;
  /** The statuses to keep (none filtered by default: Kratos' etcd path writes 0). */
  readonly status?: Allowed<number>;
  /** Each listed key must be present with one of the allowed values. */
  readonly metadata?: Readonly<Record<string, Allowed<string>>>;
}

/** A predicate over one instance. */
export type InstancePredicate = (instance: Instance) => boolean;

const SELECTOR_KEYS: readonly (keyof InstanceSelector)[] = [
  "zone",
  "region",
  "env",
  "cluster",
  "status",
  "metadata",
];

/** A value or a list of values of one type, or an InvalidOption naming the selector field. */
const allowedOf = (name: string, value: unknown, type: "string" | "number"): void => {
  if (value === undefined) return;
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  const bad = items.find((v) => typeof v !== type);
  if (bad === undefined) return;
  const got = Array.isArray(value) ? `a list holding ${describeType(bad)}` : describeType(value);
  throw invalidOption(name, `must be a ${type} or a list of them, got ${got}`);
};

/** A record of any keys (metadata names), or an InvalidOption. */
const optionsRecordAny = (name: string, value: unknown): Readonly<Record<string, unknown>> => {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidOption(name, `must be a record of allowed values, got ${describeType(value)}`);
  }
  return value as Readonly<Record<string, unknown>>;
};

const allows = <T>(allowed: Allowed<T> | undefined, value: T | undefined): boolean =>
  allowed === undefined ||
  (Array.isArray(allowed)
    ? value !== undefined && (allowed as readonly T[]).includes(value)
    : value === allowed);

/** Turns a selector into a predicate; a predicate is returned as is. */
export const instancePredicate = (filter: InstancePredicate | InstanceSelector): InstancePredicate => {
  if (typeof filter === "function") return filter;
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw invalidOption("filter", `must be a predicate or a selection object, got ${describeType(filter)}`);
  }
  const { zone, region, env, cluster, status, metadata } = optionsRecord<InstanceSelector>(
    "filter",
    filter,
    SELECTOR_KEYS,
  );
  for (const [name, value] of [
    ["zone", zone],
    ["region", region],
    ["env", env],
    ["cluster", cluster],
  ] as const) {
    allowedOf(name, value, "string");
  }
  allowedOf("status", status, "number");
  for (const [key, allowed] of Object.entries(optionsRecordAny("metadata", metadata))) {
    allowedOf(`metadata.${key}`, allowed, "string");
  }
  const entries = Object.entries(metadata ?? {});
  return (i) =>
    allows(zone, i.zone) &&
    allows(region, i.region) &&
    allows(env, i.env) &&
    allows(status, i.status) &&
    allows(cluster, i.metadata["cluster"]) &&
    entries.every(([key, allowed]) => Object.hasOwn(i.metadata, key) && allows(allowed, i.metadata[key]));
};

/**
 * Keeps the instances that match a predicate or an {@link InstanceSelector} (Kratos' BuildOpt
 * filter).
 *
 * Why: a client usually wants one env or cluster of an app; filtering the set before the balancer
 * keeps the balancer's state to the instances it may use.
 *
 * Emissions: one per input set, except that a result equal to the previous result is skipped
 * (an instance that does not match changed). When nothing is dropped the input object passes
 * through unchanged.
 *
 * @example
 * resolver.instances$.pipe(filterInstances({ env: "prod", cluster: ["a", "b"] }))
 * resolver.instances$.pipe(filterInstances((i) => i.metadata["color"] !== "canary"))
 */
export const filterInstances = (
  filter: InstancePredicate | InstanceSelector,
): MonoTypeOperatorFunction<InstancesInfo> => {
  const keep = instancePredicate(filter);
  return pipe(
    map((info) =>
      withInstances(
        info,
        info.instances.filter((i) => keep(i)),
      ),
    ),
    distinctSets(),
  );
};
