import { namingContract } from "../contract/naming-contract.js";
import { startZooKeeper, useHarnessCleanup, type ZooKeeperProcess } from "../harness/index.js";
import { beforeAll } from "vitest";
import { ZkWorld } from "./support.js";

useHarnessCleanup();
let zk: ZooKeeperProcess;
beforeAll(async () => {
  zk = await startZooKeeper();
});

// ZooKeeper keeps one layout, Kratos v1's (the contract's default fixture).
namingContract("zookeeper", async () => new ZkWorld(() => zk.hostPort));
