import { hostname } from "node:os";
import * as E from "fp-ts/lib/Either.js";
import { merge, Subject, type Observable } from "rxjs";
import type { Naming } from "../index.js";
import { metricsOption } from "../metrics/metrics-option.js";
import type { FaceMetricsOptions } from "../metrics/index.js";
import { describeType, invalidOption, NamingError, optionsRecord, stringOption } from "../model/index.js";
import { loadGrpcJs } from "./grpc-js.js";
import { namingResolverClass } from "./naming-resolver.js";
import { registerPolicies } from "./policies.js";

/** Options of {@link registerGrpcResolver}. */
export interface GrpcResolverOptions {
  /**
   * The target scheme to register, default `naming.scheme` (`etcd:///app`, `memory:///app`).
   * Another scheme lets two namings of one kind serve one process (`etcd-eu:///app`).
   */
  readonly scheme?: string;
  /**
   * The client id that `subset=N` in a target picks a subset for. Default `os.hostname()`, as
   * Kratos' warden (env.Hostname): a client keeps its subset across restarts, and clients on
   * different hosts spread over different subsets.
   */
  readonly clientId?: string;
  /**
   * OpenTelemetry metrics of the rxnaming policies on this registration's channels: picks, calls
   * and their duration, ejections and health changes (docs/metrics.md#grpc-policies). `true`
   * records through the global MeterProvider; `{ meterProvider, endpoint }` says where and adds
   * each endpoint's address. Default off.
   */
  readonly metrics?: boolean | FaceMetricsOptions;
}

/** What {@link registerGrpcResolver} registered. */
export interface GrpcResolverRegistration {
  /** The scheme of the targets it serves. */
  readonly scheme: string;
  /**
   * What the gRPC face could not use, as NamingErrors: an instance skipped because it has no
   * `grpc://` address (tag `InvalidInstance`, field `addrs`, told once per instance version and
   * channel), a target that cannot be read (tag `Decode`, once per channel), a policy config
   * that cannot be used (tag `Decode`), a bad `metadata.weight` under `rxnaming_wrr`. A channel
   * whose target or policy config is bad fails its calls with `UNAVAILABLE` and the same
   * message; the others fail no call.
   */
  readonly errors$: Observable<NamingError>;
}

const OPTION_KEYS = ["scheme", "clientId", "metrics"];
const STRING_KEYS = ["scheme", "clientId"];

/**
 * Careless arguments are an InvalidOption naming the argument, not a TypeError later; gives the
 * `metrics` option read.
 */
const checkArguments = (naming: unknown, options: unknown): FaceMetricsOptions | undefined => {
  const n = naming as Partial<Naming> | null;
  if (typeof n !== "object" || n === null || typeof n.scheme !== "string" || typeof n.build !== "function") {
    throw invalidOption(
      "registerGrpcResolver naming",
      `must be a Naming (with scheme and build), got ${describeType(naming)}`,
    );
  }
  const o = optionsRecord("registerGrpcResolver options", options, OPTION_KEYS, "registerGrpcResolver");
  for (const key of STRING_KEYS) stringOption(`registerGrpcResolver ${key}`, o[key]);
  return metricsOption("registerGrpcResolver", o["metrics"]);
};

// Shared by every registration: policies are registered per grpc-js module, not per naming.
const policyErrors = new Subject<NamingError>();

const SCHEME = /^[a-z][a-z0-9+.-]*$/i;

/**
 * Registers `naming` as a gRPC resolver with `@grpc/grpc-js` (an optional peer dependency,
 * `>=1.14 <2`, loaded by this call only), and rxnaming's load-balancing policies. A client made
 * with target `etcd:///my.app` then connects to the `grpc://` addresses of my.app's instances and
 * follows them live; the query is warden's: `etcd:///my.app?zone=sh001&cluster=c1&cluster=c2&subset=50`
 * (zone preferred while it has an instance, clusters filter `metadata.cluster`, a subset of 50 by
 * {@link GrpcResolverOptions.clientId}). With no instance, calls fail at once with `UNAVAILABLE`
 * and work again on the same channel when one registers.
 *
 * Policies, chosen by service config: `rxnaming_p2c`, `rxnaming_ring_hash` (`{"hashHeader":
 * "x-user-id"}`), `rxnaming_wrr`; each takes passive ejection, slow start and gRFC A17 health
 * checks (docs/grpc-policies.md). Rejects with an `InvalidOption` NamingError when `@grpc/grpc-js`
 * is missing or of another version, or the scheme is not a URI scheme.
 *
 * @example
 * await registerGrpcResolver(naming);
 * const client = new EchoClient("etcd:///demo.echo", credentials.createInsecure(), {
 *   "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ rxnaming_p2c: {} }] }),
 * });
 */
export const registerGrpcResolver = async (
  naming: Naming,
  options?: GrpcResolverOptions,
): Promise<GrpcResolverRegistration> => {
  const metrics = checkArguments(naming, options);
  const scheme = options?.scheme ?? naming.scheme;
  if (!SCHEME.test(scheme)) {
    throw invalidOption(
      "registerGrpcResolver scheme",
      `${JSON.stringify(scheme)} is not a URI scheme (a letter, then letters, digits, "+", "-" or ".")`,
    );
  }
  const loaded = await loadGrpcJs()();
  if (E.isLeft(loaded)) throw loaded.left;
  const grpc = loaded.right;
  registerPolicies(grpc, (error) => policyErrors.next(error));
  const errors = new Subject<NamingError>();
  grpc.experimental.registerResolver(
    scheme,
    namingResolverClass({
      grpc,
      naming,
      clientId: options?.clientId ?? hostname(),
      report: (error) => errors.next(error),
      metrics,
    }),
  );
  return { scheme, errors$: merge(errors, policyErrors) };
};
