/**
 * rxnaming: service registration and discovery as RxJS streams — Kratos' naming module
 * (Resolver / Registry / Builder) for Node.js, on etcd and an embedded in-memory backend.
 */
export * from "./model/index.js";
export type { Naming } from "./naming.js";
export type { Resolver, RegisterOptions, RegistrationEvent, BackoffOptions } from "./core/index.js";
export { memoryNaming, type MemoryNamingOptions } from "./memory-naming.js";
export { MemoryStore, MemoryLink, type MemoryStoreOptions } from "./backends/memory/index.js";
export * from "./operators/index.js";
export * from "./balancers/index.js";
export { etcdNaming, type EtcdNamingOptions } from "./etcd-naming.js";
export { etcdClientOptions } from "./backends/etcd/index.js";
export {
  registerGrpcResolver,
  type GrpcResolverOptions,
  type GrpcResolverRegistration,
} from "./grpc/index.js";
