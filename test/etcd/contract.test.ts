import { useEtcd } from "../harness/index.js";
import { layoutFixtures } from "../contract/layout-fixtures.js";
import { namingContract } from "../contract/naming-contract.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

// The whole contract in every key layout, on one etcd.
for (const fixture of layoutFixtures) {
  namingContract("etcd", async () => new EtcdWorld(() => etcd().clientOptions()), fixture);
}
