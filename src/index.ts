/**
 * rxnaming: service registration and discovery as RxJS streams — Kratos' naming module
 * (Resolver / Registry / Builder) for Node.js, on etcd, ZooKeeper and an embedded in-memory backend.
 *
 * The public surface, each name exported once: the instance model and its errors, the namings
 * (etcd, memory, ZooKeeper), the instance-set operators, the balancers. `rxnaming/operators` holds the
 * operators alone, `rxnaming/testing` the helpers for virtual-time tests.
 *
 * @packageDocumentation
 * @module rxnaming
 */

// The model: instances, their Kratos v1 codec, instance sets, errors.
export { instance, instanceEquals, eqInstance, eqInstances } from "./model/instance.js";
export type { Instance, InstanceInput } from "./model/instance.js";
export { encodeInstance, decodeInstance } from "./model/instance-codec.js";
export type { KeyContext } from "./model/instance-codec.js";
export { instancesInfo, byHostname } from "./model/instances-info.js";
export type { InstancesInfo } from "./model/instances-info.js";
export { NamingError, isNamingError } from "./model/naming-error.js";
export type { NamingErrorTag, NamingErrorDetails } from "./model/naming-error.js";

// Naming = Registry + Builder, and what it hands out.
export type { Naming } from "./naming.js";
export type { CoreNaming } from "./core/index.js";
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
export type { Revision, KeyValue, KeyChange, KeyPut, KeyDelete } from "./port/backend.js";
export { memoryNaming, type MemoryNamingOptions } from "./memory-naming.js";
export {
  MemoryStore,
  MemoryLink,
  type MemoryStoreOptions,
  type RangeResult,
} from "./backends/memory/index.js";
export { etcdNaming, type EtcdNamingOptions } from "./etcd-naming.js";
export { etcdClientOptions, type WatchHubOptions } from "./backends/etcd/index.js";
export { layoutNamed, layoutNames, type LayoutName } from "./backends/layouts/index.js";
export type { KeyLayout, KeyMisfit } from "./port/layout.js";
export { zookeeperNaming, type ZooKeeperNamingOptions } from "./zookeeper-naming.js";
export { discoveryNaming, type DiscoveryNamingOptions } from "./discovery-naming.js";

// Instance-set operators and balancers.
export * from "./operators/index.js";
export * from "./balancers/index.js";
/** A pick: the instance, its address, and `done` to report how the call went (the spec's name for {@link Picked}). */
export type { Picked as Pick } from "./balancers/index.js";

// gRPC: the resolver and the balancing policies (grpc-js is loaded only when this is called).
export {
  registerGrpcResolver,
  type GrpcResolverOptions,
  type GrpcResolverRegistration,
} from "./grpc/index.js";
