import { MemoryLink } from "../../memory-naming.js";
import type { Naming } from "../../index.js";
import type { NamingConnection } from "../naming-connection.js";

/** A naming of a simulated service, and how the demo takes its lease away. */
export interface Peer {
  readonly naming: Naming;
  readonly leaseLoss: LeaseLoss;
}

/** How a backend loses a registration's lease, for the demo. */
export interface LeaseLoss {
  /** What happens, in a few words, for the demo's story line. */
  how(ttlSeconds: number): string;
  /** Starts the loss of this lease. */
  begin(leaseId: string): Promise<void>;
  /**
   * Ends the loss, when it lasts until ended (the peer then finds its lease lost and registers
   * again); absent when the registration recovers by itself.
   */
  readonly end?: { readonly how: string; run(): void };
}

/** A simulated service's naming on the demo's backend, as another process would have it. */
export const peerOn = ({ backend }: NamingConnection): Peer => {
  switch (backend.kind) {
    case "memory": {
      const link = new MemoryLink();
      return {
        naming: backend.another(link),
        leaseLoss: {
          how: (ttl) =>
            `is cut off from the store: its keep-alives stop and its lease runs down (TTL ${ttl} s)`,
          begin: async () => link.cut(),
          end: {
            how: "reaches the store again: it finds its lease lost and registers anew",
            run: () => link.restore(),
          },
        },
      };
    }
    case "etcd": {
      const { client, target } = backend.etcd;
      return {
        naming: backend.another(),
        leaseLoss: {
          how: () => "loses its lease (revoked in etcd): its registration notices and registers anew",
          begin: async (leaseId) => {
            await client.leaseClient.leaseRevoke(
              { ID: leaseId },
              { deadline: new Date(Date.now() + target.dialTimeoutMs) },
            );
          },
        },
      };
    }
    case "zookeeper":
    case "discovery":
      return {
        naming: backend.another(),
        leaseLoss: { how: () => LEFT_ALONE[backend.kind], begin: async () => undefined },
      };
  }
};

// Neither can be made to forget a registration from outside (a ZooKeeper session cannot be taken
// without its password): the story says what would happen.
const LEFT_ALONE = {
  zookeeper: "would lose its session: on ZooKeeper the demo leaves its session alone",
  discovery: "would be forgotten by the server: on discovery the demo leaves its registration alone",
};
