import * as O from "fp-ts/lib/Option.js";
import { defer, type OperatorFunction } from "rxjs";
import {
  describeType,
  invalidOption,
  numberOption,
  optionsRecord,
  type Instance,
  type InstancesInfo,
} from "../model/index.js";
import { balancerOf } from "./balancer.js";
import { hash32 } from "../shared/hash.js";
import { Cursor } from "./cursor.js";
import type { BalancerOptions, Picked, Picker, PickRequest } from "./picker.js";
import { staticPick } from "./static-entry.js";
import { buildRing, ringLookup, ringPoints, updateRing, type Ring } from "./ring.js";
import { addrSchemeOption, COMMON_KEYS, trafficRules } from "./traffic-options.js";

/**
 * The most points per instance {@link ringHash} takes. Why a bound: the ring is built in one go,
 * 8 bytes and a sort step per point, and a mistyped count (1e8) would block the event loop for
 * a minute and take gigabytes.
 */
export const MAX_RING_REPLICAS = 16_384;

/** Options of {@link ringHash}. */
export interface RingHashOptions extends BalancerOptions {
  /**
   * Points per instance on the ring, default 1024. Fewer points spread keys less evenly: the
   * spread of an instance's share is about 1/sqrt(replicas), so 1024 keeps 10 instances within
   * ±20% of an even share (160, ketama's count, does not: ±33% was seen). Costs 8 bytes per point.
   * An integer from 1 to {@link MAX_RING_REPLICAS}.
   */
  readonly replicas?: number;
}

interface RingEntry {
  readonly instance: Instance;
  readonly some: O.Option<Picked>;
  /** The instance's points: learned once per hostname, kept while it stays. */
  readonly points: Uint32Array;
}

class RingHashPicker implements Picker {
  constructor(
    private readonly picks: readonly O.Option<Picked>[],
    /** The pick address of each instance, for `PickRequest.usable`. */
    private readonly addrs: readonly string[],
    private readonly ring: Ring,
    private readonly cursor: Cursor,
  ) {}

  pick(request?: PickRequest): O.Option<Picked> {
    const key = request?.hashKey;
    const usable = request?.usable;
    if (key !== undefined && typeof key !== "string") {
      throw invalidOption("ringHash pick hashKey", `must be a string or absent, got ${describeType(key)}`);
    }
    // No key, no affinity to keep: spread such requests evenly rather than on one instance.
    if (key === undefined) {
      const n = this.picks.length;
      for (let tries = 0; tries < n; tries++) {
        const k = this.cursor.step(n);
        if (usable === undefined || usable(this.addrs[k]!)) return this.picks[k]!;
      }
      return O.none;
    }
    const at = ringLookup(this.ring, hash32(key));
    const owner = this.ring.owners[at]!;
    if (usable === undefined || usable(this.addrs[owner]!)) return this.picks[owner]!;
    return this.next(at, owner, usable);
  }

  /**
   * The first usable instance clockwise from ring point `at`, as gRPC's and Envoy's ring hash do:
   * each instance is asked once, so a ring with none usable is walked once, not forever.
   */
  private next(at: number, owner: number, usable: (addr: string) => boolean): O.Option<Picked> {
    const { owners } = this.ring;
    const n = this.picks.length;
    const asked = new Uint8Array(n);
    asked[owner] = 1;
    let left = n - 1;
    for (let k = 1; k < owners.length && left > 0; k++) {
      const o = owners[(at + k) % owners.length]!;
      if (asked[o] === 1) continue;
      asked[o] = 1;
      left--;
      if (usable(this.addrs[o]!)) return this.picks[o]!;
    }
    return O.none;
  }
}

/**
 * The ring for `points` (one array per instance, in hostname order), reusing the previous ring: as
 * is when the same hostnames stay (only data changed), merged when few come or go, built again
 * when most changed. Points arrays are per hostname and kept, so identity tells who stayed.
 */
const nextRing = (
  previous: Ring | undefined,
  before: readonly Uint32Array[],
  after: readonly Uint32Array[],
): Ring => {
  if (previous !== undefined && after.length === before.length && after.every((p, i) => p === before[i]))
    return previous;
  const index = new Map<Uint32Array, number>();
  after.forEach((p, n) => index.set(p, n));
  const remap = Int32Array.from(before, (p) => index.get(p) ?? -1);
  const kept = remap.reduce((count, n) => (n >= 0 ? count + 1 : count), 0);
  if (previous === undefined || kept < after.length / 2) return buildRing(after);
  const stayed = new Set(before);
  const newcomers = after.map((p, n) => [p, n] as const).filter(([p]) => !stayed.has(p));
  return updateRing(
    previous,
    remap,
    buildRing(
      newcomers.map(([p]) => p),
      newcomers.map(([, n]) => n),
    ),
  );
};

/**
 * Consistent hashing on `hashKey` (a ring with `replicas` points per instance, placed by hostname).
 * The same key goes to the same instance in every client while that instance stays; when an
 * instance leaves only its keys move, and when one of N joins it takes about 1/(N+1) of the keys,
 * all from the others' points next to its own. A pick without `hashKey` is round robin
 * (`""` is a key like any other). With `usable`, a key whose instance is not usable goes to the
 * next usable one round the ring, where it would go were that instance gone; it comes back when
 * its instance does (the gRPC policy passes the READY endpoints this way, so a connection that
 * drops and returns does not make every client rebuild its ring).
 *
 * An ejected instance is left out of the ring while it is ejected: its keys go to the next
 * instances round the ring, and come back when it does.
 *
 * Why: caches and stateful sessions want one key on one instance. Lookups are a hash of the key
 * and a short binary search (no allocation); a list update touches the ring only when hostnames
 * come or go, merging the newcomers' points into it.
 *
 * @example
 * const choice = picker.pick({ hashKey: userId });
 */
export const ringHash = (options?: RingHashOptions): OperatorFunction<InstancesInfo, Picker> => {
  const o = optionsRecord("ringHash options", options, [...COMMON_KEYS, "replicas"], "ringHash");
  const scheme = addrSchemeOption("ringHash", o);
  const rules = trafficRules("ringHash", o);
  const replicas = numberOption(
    "ringHash replicas",
    o["replicas"],
    {
      min: 1,
      max: MAX_RING_REPLICAS,
      integer: true,
    },
    1024,
  );
  return (source) =>
    defer(() => {
      const cursor = new Cursor();
      let lastPoints: readonly Uint32Array[] = [];
      let lastRing: Ring | undefined;
      return source.pipe(
        balancerOf<RingEntry>(
          {
            entry: (instance, previous, report) => ({
              instance,
              some: staticPick(instance, scheme, report),
              points: previous?.points ?? ringPoints(instance.hostname, replicas),
            }),
            picker: (entries) => {
              const points = entries.map((e) => e.points);
              const ring = nextRing(lastRing, lastPoints, points);
              lastPoints = points;
              lastRing = ring;
              return new RingHashPicker(
                entries.map((e) => e.some),
                entries.map((e) => (e.some as O.Some<Picked>).value.addr),
                ring,
                cursor,
              );
            },
          },
          rules,
        ),
      );
    });
};
