// Readers of one prefix share one etcd watcher, each from its own revision, none getting a change twice.
import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { Members } from "../../src/backends/etcd/members.js";
import { PrefixFeeds } from "../../src/backends/etcd/prefix-feed.js";
import { WatchHub } from "../../src/backends/etcd/watch-hub.js";
import { etcdClientOptions } from "../../src/index.js";
import type { KeyChange } from "../../src/port/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { useEtcd, waitFor } from "../harness/index.js";

const etcd = useEtcd();

describe("PrefixFeeds (real etcd)", () => {
  it("gives each reader the changes after its own revision, once, over one watcher", async () => {
    const client = new Etcd3(etcdClientOptions(etcd().clientOptions()));
    const hub = new WatchHub({ members: new Members(client), fault: () => undefined });
    const feeds = new PrefixFeeds(hub);
    const prefix = `/${freshApp("feed")}/`;
    const put = async (name: string): Promise<string> =>
      (
        await client
          .put(prefix + name)
          .value(name)
          .exec()
      ).header.revision;
    const keysOf = (changes: KeyChange[]) => changes.map((c) => c.key.slice(prefix.length));
    const a: KeyChange[] = [];
    const b: KeyChange[] = [];
    const reader = (into: KeyChange[]) => ({
      batch: (_revision: string, changes: readonly KeyChange[]) => into.push(...changes),
      skipped: () => undefined,
      compacted: () => undefined,
      failed: () => undefined,
    });
    try {
      const watchersBefore = await etcd().watcherCount();
      const r1 = await put("k1");
      const r2 = await put("k2");
      const cancelA = feeds.open(prefix, r2, reader(a));
      await put("k3");
      await waitFor(() => a.length === 1, { message: "A gets k3" });
      // B needs older changes: the one etcd watch starts again further back; A gets nothing twice.
      const cancelB = feeds.open(prefix, r1, reader(b));
      await waitFor(() => b.length === 2, { message: "B gets k2 and k3" });
      await put("k4");
      await waitFor(() => a.length === 2 && b.length === 3, { message: "both get k4" });
      expect(keysOf(a)).toEqual(["k3", "k4"]);
      expect(keysOf(b)).toEqual(["k2", "k3", "k4"]);
      expect(await etcd().watcherCount()).toBe(watchersBefore + 1);
      cancelA();
      await put("k5");
      await waitFor(() => b.length === 4, { message: "B alone gets k5" });
      expect(a).toHaveLength(2);
      cancelB();
      await waitFor(async () => (await etcd().watcherCount()) === watchersBefore, {
        message: "watcher gone",
      });
    } finally {
      hub.close();
      client.close();
    }
  });
});
