import { useEtcd } from "../harness/index.js";
import { namingContract } from "../contract/naming-contract.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

namingContract("etcd", async () => new EtcdWorld(() => etcd().clientOptions()));
