import { map, pipe, type MonoTypeOperatorFunction } from "rxjs";
import {
  describeType,
  invalidOption,
  oneOfOption,
  optionsRecord,
  stringOption,
  type Instance,
  type InstancesInfo,
} from "../model/index.js";
import { distinctSets } from "./distinct-sets.js";
import { hash32, mix32 } from "../shared/hash.js";
import { withInstances } from "./same-instances.js";

/**
 * How {@link subset} chooses.
 *
 * - `"rendezvous"` (default): rendezvous (highest-random-weight) hashing. Each client ranks every
 *   instance by `hash(clientId, hostname)` and keeps the top `size`. Stable under churn: a client's
 *   subset does not change when an instance outside it changes, leaves or is updated, and a joining
 *   instance enters only the subsets it outranks (about `size / n` of the clients). Load is even
 *   only on average (binomial spread), because clients do not coordinate.
 * - `"balanced"`: the Google SRE book's deterministic subsetting, for clients numbered 0, 1, 2, …
 *   (the `clientId` is that number; a non-numeric id is hashed to one). Clients fill consecutive
 *   windows of `size` over rounds of the instances, each round in its own hashed order. With a
 *   client count that is a multiple of the instance count, every instance gets exactly the same
 *   number of clients (never off by more than one otherwise). The price: any membership change
 *   reshuffles the rounds, so most clients' subsets change. Only data changes of instances keep it.
 *
 * No deterministic scheme can have both: exact balance needs the clients to coordinate over the
 * instance count, and stability needs each client to rank instances on its own.
 */
export type SubsetAlgorithm = "rendezvous" | "balanced";

/** Options of {@link subset}. */
export interface SubsetOptions {
  /** How subsets are drawn; default `"rendezvous"`. */
  readonly algorithm?: SubsetAlgorithm;
}

/**
 * Deterministic subsetting (Kratos' BuildOpt subset): each client connects to `min(size, n)` of
 * the `n` instances, chosen from its `clientId` alone, so that many clients spread over the
 * instances without talking to each other. See {@link SubsetAlgorithm} for the two algorithms.
 *
 * Why: with thousands of clients and hundreds of instances, a full mesh of connections costs more
 * than it balances. A subset per client keeps connections bounded.
 *
 * Emissions: one per input set, except that a result equal to the previous one is skipped (the
 * usual case when an instance outside the subset changes). With `n <= size` the input passes
 * through.
 *
 * @example
 * resolver.instances$.pipe(subset(10, os.hostname()))
 * resolver.instances$.pipe(subset(3, String(podOrdinal), { algorithm: "balanced" }))
 */
export const subset = (
  size: number,
  clientId: string,
  options?: SubsetOptions,
): MonoTypeOperatorFunction<InstancesInfo> => {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw invalidOption(
      "subset size",
      `must be a positive integer, got ${typeof size === "number" ? size : describeType(size)}`,
    );
  }
  stringOption("clientId", clientId, { required: true });
  const o = optionsRecord<SubsetOptions>("subset options", options, ["algorithm"]);
  const algorithm = oneOfOption("algorithm", o.algorithm, ["rendezvous", "balanced"]);
  const choose = algorithm === "balanced" ? balanced : rendezvous;
  return pipe(
    map((info) =>
      info.instances.length <= size ? info : withInstances(info, choose(info.instances, size, clientId)),
    ),
    distinctSets(),
  );
};

/** Keeps the instances at the given indices, in hostname order. */
const keepIndices = (instances: readonly Instance[], chosen: readonly number[]): Instance[] =>
  [...chosen].sort((a, b) => a - b).map((i) => instances[i]!);

/** Indices of `instances` in descending order of `score`, ties broken by hostname (their order). */
const rankBy = (instances: readonly Instance[], score: (i: Instance) => number): number[] => {
  const scores = instances.map(score);
  return instances.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
};

const rendezvous = (instances: readonly Instance[], size: number, clientId: string): Instance[] => {
  const seed = hash32(clientId);
  return keepIndices(instances, rankBy(instances, (i) => hash32(i.hostname, seed)).slice(0, size));
};

/** A client's number: the id itself when it is a non-negative integer, else a hash of it. */
const clientIndex = (clientId: string): number => {
  if (/^\d{1,15}$/.test(clientId)) return Number(clientId);
  return hash32(clientId);
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/*
 * Client i takes positions [i*size, (i+1)*size) of an endless sequence made of rounds, each round
 * being every instance once. The order of the rounds changes every epoch of lcm(n, size)
 * positions: an epoch is a whole number of rounds and of windows, so no window straddles two
 * orders and no window holds an instance twice. Clients 0..k*n-1 cover k*size whole rounds,
 * hence the exact balance.
 */
const balanced = (instances: readonly Instance[], size: number, clientId: string): Instance[] => {
  const n = instances.length;
  const epochLength = (n / gcd(n, size)) * size;
  const position = clientIndex(clientId) * size;
  const epoch = Math.floor(position / epochLength);
  const start = (position % epochLength) % n;
  const seed = mix32(epoch ^ 0x5bd1e995);
  const order = rankBy(instances, (i) => hash32(i.hostname, seed));
  const chosen: number[] = [];
  for (let k = 0; k < size; k++) chosen.push(order[(start + k) % n]!);
  return keepIndices(instances, chosen);
};
