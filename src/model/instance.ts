import * as E from "fp-ts/lib/Either.js";
import { fromEquals, type Eq } from "fp-ts/lib/Eq.js";
import { pipe } from "fp-ts/lib/function.js";
import * as RA from "fp-ts/lib/ReadonlyArray.js";
import { eqStrings } from "./eq.js";
import { invalidInstance, type NamingError } from "./naming-error.js";
import { validateInstance } from "./validate.js";

/**
 * One running instance of an app: Kratos v1 `naming.Instance`, field for field.
 * Instances handed out by rxnaming are frozen.
 */
export interface Instance {
  /** JSON "region" */
  readonly region: string;
  /** JSON "zone" */
  readonly zone: string;
  /** JSON "env" */
  readonly env: string;
  /** JSON "appid" */
  readonly appId: string;
  /** JSON "hostname": unique within an appid */
  readonly hostname: string;
  /** JSON "addrs": URLs such as "grpc://10.0.0.1:9000" */
  readonly addrs: readonly string[];
  /** JSON "version" */
  readonly version: string;
  /** JSON "latest_timestamp": Unix nanoseconds (a JS number, exact to ~256 ns) */
  readonly lastTs: number;
  /** JSON "metadata": "weight", "cluster" and "color" are read by balancers and filters */
  readonly metadata: Readonly<Record<string, string>>;
  /** JSON "status": 1 = up; Kratos' etcd path writes 0, so 0 is never filtered by default */
  readonly status: number;
}

/** What {@link instance} accepts: any fields, the rest defaulted. */
export type InstanceInput = Partial<Instance>;

/** The current time in Unix nanoseconds, as Kratos' `time.Now().UnixNano()`. */
export const nowNanos = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);

/**
 * Makes a valid, frozen {@link Instance}: fills defaults (empty strings, `[]`, `{}`,
 * `status: 1`, `lastTs` = now in ns), then validates.
 *
 * @example
 * const result = instance({ appId: "demo.service", hostname: "host-1", addrs: ["grpc://10.0.0.5:9000"] });
 * // E.right({ appId: "demo.service", ..., status: 1 })
 */
export const instance = (partial: InstanceInput): E.Either<NamingError, Instance> =>
  // Any input at all gives a Left, never a throw: JavaScript callers pass null, numbers, arrays.
  typeof partial !== "object" || partial === null || Array.isArray(partial)
    ? E.left(invalidInstance("instance", `must be an object, got ${describeInput(partial)}`))
    : pipe(
        {
          region: partial.region ?? "",
          zone: partial.zone ?? "",
          env: partial.env ?? "",
          appId: partial.appId ?? "",
          hostname: partial.hostname ?? "",
          addrs: partial.addrs ?? [],
          version: partial.version ?? "",
          lastTs: partial.lastTs ?? nowNanos(),
          metadata: partial.metadata ?? {},
          status: partial.status ?? 1,
        },
        validateInstance(),
        E.map(freezeInstance),
      );

const describeInput = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u;

/** Freezes an instance and its array and record, so sets can share it safely. */
export const freezeInstance = (i: Instance): Instance =>
  Object.isFrozen(i)
    ? i
    : Object.freeze({ ...i, addrs: Object.freeze([...i.addrs]), metadata: Object.freeze({ ...i.metadata }) });

/** Structural equality of two instances: what decides whether an update changed anything. */
export const instanceEquals = (a: Instance, b: Instance): boolean =>
  a === b ||
  (a.hostname === b.hostname &&
    a.appId === b.appId &&
    a.status === b.status &&
    a.lastTs === b.lastTs &&
    a.zone === b.zone &&
    a.region === b.region &&
    a.env === b.env &&
    a.version === b.version &&
    eqStrings.equals(a.addrs, b.addrs) &&
    recordEquals(a.metadata, b.metadata));

/** Structural equality of instances, as an fp-ts `Eq` (identity first: the core keeps it). */
export const eqInstance: Eq<Instance> = fromEquals(instanceEquals);

/**
 * Equality of instance lists, element by element: what decides whether a new set changes
 * anything for an operator or a balancer that already has the previous one.
 */
export const eqInstances: Eq<readonly Instance[]> = RA.getEq(eqInstance);

const recordEquals = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};
