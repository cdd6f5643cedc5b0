export { zookeeperBackend, type ZooKeeperBackendOptions } from "./zookeeper-backend.js";
