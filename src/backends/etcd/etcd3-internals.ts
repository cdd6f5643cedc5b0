import { createRequire } from "node:module";
import type { Etcd3 } from "etcd3";
import { invalidOption, type NamingError } from "../../model/index.js";
import type { DuplexStream } from "./streams.js";

/**
 * The one place that reaches into the `etcd3` client's internals: its connection pool (each member
 * with one gRPC client per service) and its authenticator. rxnaming's calls and streams go to the
 * members directly, past the client's fault policy, and the public API cannot add metadata to a
 * stream or choose a call's decoder. Why: docs/etcd.md#hung-members
 *
 * {@link checkEtcd3Client} checks the shape this relies on when a naming is made; the rest of the
 * backend uses the functions here and never touches the client's insides itself.
 */

/** The versions of `etcd3` whose internals this module is written against. */
export const SUPPORTED_ETCD3 = "~1.1.2";

/** The installed `etcd3`'s version, as its package.json says. */
export const installedEtcd3Version = (): string =>
  (createRequire(import.meta.url)("etcd3/package.json") as { version: string }).version;

/** A member's gRPC metadata (the auth token), as grpc-js' `Metadata`. */
export interface Metadata {
  clone(): Metadata;
  set(key: string, value: string): void;
}

type Callback<Res> = (err: Error | null, res: Res) => void;
type ServiceClient = Record<
  string,
  (...args: [unknown, Metadata, { deadline?: Date }, Callback<unknown>?]) => unknown
>;

// grpc-js' own way to call a method with a deserializer of one's choosing (`Client.makeUnaryRequest`),
// and the method definitions a generated client keeps on its constructor.
interface MethodDefinition {
  readonly path: string;
  readonly requestSerialize: (request: unknown) => Buffer;
  /** The method's name on the client ("range"); the definition's key is the proto's ("Range"). */
  readonly originalName?: string;
}
interface RawCaller {
  makeUnaryRequest(
    path: string,
    serialize: (request: unknown) => Buffer,
    deserialize: (message: Buffer) => unknown,
    request: unknown,
    metadata: Metadata,
    options: { deadline?: Date },
    callback: Callback<unknown>,
  ): unknown;
}

/** One etcd member as the client's pool keeps it. */
export interface Member {
  /** host:port. */
  readonly host: string;
  /** The client's `grpcOptions`, as etcd3's Host keeps them. */
  readonly channelOptions?: Readonly<Record<string, unknown>>;
  getServiceClient(service: string): ServiceClient;
  resetAllServices(): void;
}

/** The client's connection pool: its members and the authenticator that gives their metadata. */
export interface Pool {
  readonly hosts: readonly Member[];
  readonly authenticator: { getMetadata(): Promise<Metadata>; invalidateMetadata(): void };
}

/** The client's pool, when it has the shape this module relies on. */
export const poolOf = (client: Etcd3): Pool | undefined => {
  const pool = (client as unknown as { pool?: Partial<Pool> }).pool;
  return Array.isArray(pool?.hosts) && typeof pool.authenticator?.getMetadata === "function"
    ? (pool as Pool)
    : undefined;
};

const rawMethodOf = (
  service: ServiceClient,
  method: string,
): { caller: RawCaller; definition: MethodDefinition } | undefined => {
  const definitions = (service.constructor as { service?: Record<string, MethodDefinition> }).service ?? {};
  const definition = Object.values(definitions).find((d) => d.originalName === method) ?? definitions[method];
  const caller = service as unknown as Partial<RawCaller>;
  return typeof definition?.path === "string" && typeof caller.makeUnaryRequest === "function"
    ? { caller: caller as RawCaller, definition }
    : undefined;
};

/**
 * Whether `client` has the internals rxnaming uses, as `etcd3` {@link SUPPORTED_ETCD3} has them:
 * a `NamingError` naming the versions otherwise. Without them, hung members would go unnoticed.
 */
export const checkEtcd3Client = (client: Etcd3): NamingError | undefined => {
  const problem = shapeProblem(client);
  return problem === undefined
    ? undefined
    : invalidOption(
        "client",
        `is an etcd3 client whose internals rxnaming cannot use (${problem}): rxnaming supports ` +
          `etcd3 ${SUPPORTED_ETCD3}, and ${installedEtcd3Version()} is installed`,
      );
};

const shapeProblem = (client: Etcd3): string | undefined => {
  const pool = poolOf(client);
  if (pool === undefined) return "no pool with hosts and an authenticator";
  if (typeof pool.authenticator.invalidateMetadata !== "function")
    return "no authenticator.invalidateMetadata";
  for (const member of pool.hosts) {
    if (typeof member.host !== "string") return "a host without its address";
    if (typeof member.getServiceClient !== "function" || typeof member.resetAllServices !== "function")
      return "a host without getServiceClient and resetAllServices";
  }
  const first = pool.hosts[0];
  if (first === undefined) return "no hosts";
  const kv = first.getServiceClient("KV");
  if (typeof kv.range !== "function") return "no KV.range";
  if (rawMethodOf(kv, "range") === undefined) return "KV is not a grpc-js generated client";
  const watch = first.getServiceClient("Watch");
  const lease = first.getServiceClient("Lease");
  if (typeof watch.watch !== "function" || typeof lease.leaseKeepAlive !== "function")
    return "no Watch.watch or Lease.leaseKeepAlive";
  return undefined;
};

/**
 * Whether a member's channels reconnect soon enough by themselves: the client bounds gRPC's
 * reconnect backoff, as `etcdClientOptions` does.
 */
export const reconnectBackoffOf = (member: Member): number | undefined => {
  const max = member.channelOptions?.["grpc.max_reconnect_backoff_ms"];
  return typeof max === "number" ? max : undefined;
};

/** Opens a stream of `service.method` to `member`, with the auth metadata plus `extra`. */
export const openStreamOn = async <S extends DuplexStream<unknown, unknown>>(
  pool: Pool,
  member: Member,
  service: string,
  method: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<S> => {
  const md = (await pool.authenticator.getMetadata()).clone();
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  const client = member.getServiceClient(service);
  const open = client[method] as unknown as (md: Metadata, options: object) => S;
  return open.call(client, md, {});
};

/** What a unary call sends, and how its answer is decoded when not by the client's decoder. */
export interface UnaryCall {
  readonly service: string;
  readonly method: string;
  readonly request: object;
  /** Decodes the answer from the wire instead of the client's decoder. */
  readonly deserialize?: (message: Buffer) => unknown;
}

/** Whether `member`'s `service.method` can be called with a decoder of one's own. */
export const decodesRaw = (member: Member, service: string, method: string): boolean =>
  rawMethodOf(member.getServiceClient(service), method) !== undefined;

/** Calls `service.method` on `member` by `deadline`, with the auth metadata. */
export const callOn = async <Res>(
  pool: Pool,
  member: Member,
  call: UnaryCall,
  deadline: Date,
): Promise<Res> => {
  const metadata = await pool.authenticator.getMetadata();
  const service = member.getServiceClient(call.service);
  const { deserialize } = call;
  const raw = deserialize && rawMethodOf(service, call.method);
  return new Promise<Res>((resolve, reject) => {
    const done: Callback<unknown> = (err, res) => {
      if (err !== null) reject(err);
      else resolve(res as Res);
    };
    if (raw) {
      const { caller, definition } = raw;
      caller.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        deserialize!,
        call.request,
        metadata,
        { deadline },
        done,
      );
    } else service[call.method]!.call(service, call.request, metadata, { deadline }, done);
  });
};
