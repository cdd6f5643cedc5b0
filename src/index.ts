/**
 * rxnaming: service registration and discovery as RxJS streams — Kratos' naming module
 * (Resolver / Registry / Builder) for Node.js, on etcd, ZooKeeper, bilibili discovery and an embedded in-memory
 * backend.
 *
 * The root holds what an application uses: the namings and `instance`, the error type, the
 * instance-set operators, the balancers, the gRPC resolver and their types. `rxnaming/operators`
 * holds the operators alone, `rxnaming/testing` the in-memory store and the helpers for
 * virtual-time tests. Backend records, key layouts and the core's machinery stay inside
 * (docs/architecture.md#the-public-surface).
 *
 * @packageDocumentation
 * @module rxnaming
 */

// Namings and instances.
export { etcdNaming, type EtcdNamingOptions } from "./etcd-naming.js";
export { etcdClientOptions } from "./backends/etcd/index.js";
export { memoryNaming, type MemoryNamingOptions } from "./memory-naming.js";
export { zookeeperNaming, type ZooKeeperNamingOptions } from "./zookeeper-naming.js";
export { discoveryNaming, type DiscoveryNamingOptions } from "./discovery-naming.js";
export { instance } from "./model/instance.js";

// The error type.
export { NamingError, isNamingError } from "./model/naming-error.js";

// Instance-set operators.
export * from "./operators/index.js";

// Balancers, and `balancer` with `BalancerSpec` to make your own on the same machinery (docs/balancers.md).
export * from "./balancers/index.js";
/** A pick: the instance, its address, and `done` to report how the call went (the public name of {@link Picked}). */
export type { Picked as Pick } from "./balancers/index.js";

// OpenTelemetry metrics (`@opentelemetry/api` is loaded only when they are asked for).
export * from "./metrics/index.js";

// gRPC: the resolver and the balancing policies (grpc-js is loaded only when this is called).
export {
  registerGrpcResolver,
  type GrpcResolverOptions,
  type GrpcResolverRegistration,
} from "./grpc/index.js";

// Types.
export type { Naming } from "./naming.js";
export type { Instance, InstanceInput } from "./model/instance.js";
export type { InstancesInfo } from "./model/instances-info.js";
export type { NamingErrorTag, NamingErrorDetails } from "./model/naming-error.js";
export type {
  Resolver,
  AwaitableTask,
  RegisterOptions,
  RegistrationEvent,
  Registered,
  Updated,
  Lost,
  BackoffOptions,
} from "./core/index.js";
export type { LayoutName } from "./backends/layouts/index.js";
/** Tuning of etcd's shared watch stream: the `watch` option of {@link etcdNaming}. */
export type { WatchHubOptions as EtcdWatchOptions } from "./backends/etcd/index.js";
