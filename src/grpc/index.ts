/**
 * The gRPC face: rxnaming as a resolver and load balancer of `@grpc/grpc-js` (an optional peer
 * dependency, loaded only by {@link registerGrpcResolver}). Published as `rxnaming/grpc`.
 *
 * @packageDocumentation
 * @module rxnaming/grpc
 */
export { registerGrpcResolver } from "./register.js";
export type { GrpcResolverOptions, GrpcResolverRegistration } from "./register.js";
export { P2C_POLICY, RING_HASH_POLICY, WRR_POLICY } from "./policies.js";
export { SUPPORTED_GRPC_JS, checkGrpcJsVersion } from "./grpc-js.js";
