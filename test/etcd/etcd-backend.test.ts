// The etcd backend's own watch: what a consumer's teardown leaves behind on the server.
import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { etcdBackend } from "../../src/backends/etcd/index.js";
import { etcdClientOptions } from "../../src/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { useEtcd, waitFor } from "../harness/index.js";

const etcd = useEtcd();

describe("etcdBackend.watch", () => {
  it("registers no etcd watcher for a consumer that leaves inside the snapshot's next", async () => {
    const client = new Etcd3(etcdClientOptions(etcd().clientOptions()));
    const backend = etcdBackend(client);
    try {
      const watchersBefore = await etcd().watcherCount();
      const left = `/${freshApp("left")}/`;
      let snapshots = 0;
      const subscription = backend.watch(left).subscribe({
        next: (message) => {
          if (message.type !== "snapshot") return;
          snapshots += 1;
          subscription.unsubscribe();
        },
      });
      await waitFor(() => snapshots === 1, { message: "the snapshot reaches the consumer" });
      // A second watch on the same stream: watchers are created in order, so once it delivers a
      // change, a watcher queued by the first consumer would be on the server too.
      const stays = `/${freshApp("stays")}/`;
      let batches = 0;
      const second = backend.watch(stays).subscribe((m) => {
        if (m.type === "batch") batches += 1;
      });
      await waitFor(
        async () => {
          await client.put(`${stays}k`).value("v").exec();
          return batches > 0;
        },
        { message: "the second watch delivers a change" },
      );
      expect(await etcd().watcherCount()).toBe(watchersBefore + 1);
      second.unsubscribe();
    } finally {
      await backend.close();
      client.close();
    }
  });
});
