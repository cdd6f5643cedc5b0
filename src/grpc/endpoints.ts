import type { experimental } from "@grpc/grpc-js";
import type { FaceMetricsOptions } from "../metrics/index.js";
import type { Instance, InstancesInfo } from "../model/index.js";
import { hostPortOf } from "../operators/index.js";
import type { GrpcJs } from "./grpc-js.js";

/**
 * The channel-option key under which the resolver hands the instances to the policies. The
 * `grpc.internal.no_subchannel` prefix keeps it out of subchannel options: grpc-js shares a
 * subchannel only between equal options, and a new map per set would defeat that sharing.
 */
export const INSTANCES_ATTRIBUTE = "grpc.internal.no_subchannel.rxnaming_instances";

/** What the resolver passes along with the endpoints of one set. */
export interface ResolvedInstances {
  readonly appId: string;
  readonly revision: string;
  /** The instance behind each endpoint, by address ("host:port", as `Pick.addr` is). */
  readonly byAddr: ReadonlyMap<string, Instance>;
  /** How the policies record metrics for this registration's channels; undefined: they do not. */
  readonly metrics?: FaceMetricsOptions | undefined;
}

/** One set as grpc-js endpoints. */
export interface Resolution {
  readonly endpoints: experimental.Endpoint[];
  readonly resolved: ResolvedInstances;
  /** Instances left out, with the reason: no `grpc://` address, or one without a port. */
  readonly skipped: readonly { readonly instance: Instance; readonly reason: string }[];
}

/** The authority of a `grpc://` address (schemes compare case-insensitively), else undefined. */
const grpcAuthority = hostPortOf("grpc");

/**
 * Turns a set into endpoints: one per instance, at its first `grpc://` address. Instances without
 * one (an HTTP-only service) cannot be dialled and are skipped, as are addresses without a port
 * (gRPC would silently dial 443). Two instances at one address give one endpoint (the first by
 * hostname): grpc-js keys subchannels by address.
 */
export const toResolution = (grpc: GrpcJs, info: InstancesInfo): Resolution => {
  const endpoints: experimental.Endpoint[] = [];
  const byAddr = new Map<string, Instance>();
  const skipped: { instance: Instance; reason: string }[] = [];
  for (const instance of info.instances) {
    const url = instance.addrs.find((a) => grpcAuthority(a) !== undefined);
    if (url === undefined) {
      skipped.push({ instance, reason: `has no grpc:// address (addrs: ${JSON.stringify(instance.addrs)})` });
      continue;
    }
    const hostPort = grpc.experimental.splitHostPort(grpcAuthority(url)!);
    if (hostPort === null || hostPort.port === undefined || hostPort.host === "") {
      skipped.push({ instance, reason: `has no host:port in ${url}` });
      continue;
    }
    const address = { host: hostPort.host, port: hostPort.port };
    const key = grpc.experimental.subchannelAddressToString(address);
    if (byAddr.has(key)) continue;
    byAddr.set(key, instance);
    endpoints.push({ addresses: [address] });
  }
  return { endpoints, resolved: { appId: info.appId, revision: info.revision, byAddr }, skipped };
};
