// The etcd test harness: real etcd processes, clusters, a fault-injecting TCP proxy and TLS material,
// each registered so that nothing outlives the test run. See README.md in this folder.
export { etcdBinary, etcdctlBinary } from "./binaries.js";
export { EtcdCluster, startCluster, type ClusterOptions } from "./etcd-cluster.js";
export {
  EtcdProcess,
  prepareEtcd,
  startEtcd,
  type EtcdClientOptions,
  type EtcdOptions,
  type EtcdTlsOptions,
} from "./etcd-process.js";
export { type EtcdctlOptions } from "./etcdctl.js";
export { PortClashError } from "./start-members.js";
export { metricSum, parsePrometheus } from "./metrics.js";
export { freePort, freePorts } from "./ports.js";
export { disposeAll, runningChildren, type Disposable } from "./registry.js";
export { startProxy, TcpProxy, type CutMode, type ProxyOptions, type ProxyTarget } from "./tcp-proxy.js";
export { reapOrphans } from "./temp-dirs.js";
export { makeTlsMaterial, type TlsMaterial, type TlsOptions } from "./tls.js";
export { useCluster, useEtcd, useEtcdClient, useHarnessCleanup } from "./vitest.js";
export { holdFor, sleep, waitFor, type WaitForOptions } from "./wait-for.js";
export { GrpcProxy, startGrpcProxy } from "./grpc-proxy.js";
export { buildRxnaming, spawnWatcher, WatcherProcess } from "./naming-process.js";
export {
  fourLetterWord,
  startZooKeeper,
  startZooKeeperEnsemble,
  ZooKeeperEnsemble,
  ZooKeeperProcess,
  zookeeperJar,
} from "./zookeeper-process.js";
