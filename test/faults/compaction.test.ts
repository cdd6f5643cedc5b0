// A watcher cut off while etcd is compacted past its revision reads the set again
// on reconnect and emits one set equal to etcd's; instanceChanges reports exactly the net change.
import { afterEach, describe, expect, it } from "vitest";
import { instanceChanges, type InstanceChanges } from "../../src/index.js";
import { startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import {
  deleteInstance,
  ErrorLog,
  etcdState,
  EtcdWorld,
  fingerprint,
  freshApp,
  keyOf,
  putInstance,
  Recorder,
} from "./support.js";

useHarnessCleanup();

describe("compaction past a disconnected watcher's revision", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("re-reads the set, emits it once, and reports exactly the net change", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    world = new EtcdWorld(() => etcd.clientOptions());
    const admin = world.admin;
    const app = freshApp("compact");

    for (let i = 0; i < 10; i++) await putInstance(admin, app, `h${i}`, "v1");
    const watching = world.naming({}, world.client({ hosts: [proxy.endpoint] }));
    const errors = new ErrorLog(watching);
    const resolver = watching.build(app);
    const recorder = new Recorder(resolver.instances$);
    const changes: InstanceChanges[] = [];
    const changesSub = resolver.instances$.pipe(instanceChanges()).subscribe((c) => changes.push(c));
    try {
      await recorder.until((h) => h.length === 10);
      const setsBefore = recorder.sets.length;
      const changesBefore = changes.length;

      proxy.cut({ mode: "reset" });
      await errors.first(0, (e) => e._tag === "Backend", 5_000, "the cut reported");
      // Many changes while cut off: removals, additions, updates, a transient instance, and a
      // value rewritten to what it was (no net change for h5).
      for (let i = 0; i < 3; i++) await deleteInstance(admin, app, `h${i}`); // h0..h2 removed
      for (let i = 10; i < 14; i++) await putInstance(admin, app, `h${i}`, "v1"); // h10..h13 added
      for (let round = 2; round <= 5; round++) {
        await putInstance(admin, app, "h3", `v${round}`); // h3 updated (v5)
        await putInstance(admin, app, "h4", `v${round}`); // h4 updated (v5)
      }
      await putInstance(admin, app, "tmp", "v1");
      await deleteInstance(admin, app, "tmp"); // came and went: no net change
      const h5 = (await world.get(keyOf(app, "h5")))!;
      await putInstance(admin, app, "h5", "v2");
      await world.put(keyOf(app, "h5"), h5); // back to the very value the watcher has
      for (let i = 0; i < 50; i++) await putInstance(admin, app, "h6", `v${i + 2}`); // h6 updated (v51)

      const head = (await admin.getAll().prefix("/").exec()).header.revision;
      await admin.kv.compact({ revision: head, physical: true });
      // The watcher's last revision is now compacted away.
      const truth = await etcdState(admin, app);

      proxy.restore();
      await waitFor(() => recorder.sets.length > setsBefore, { timeoutMs: 5_000, message: "a new set" });
      // The watch goes on after the re-read; once it has delivered a later put, anything else the
      // re-read (wrongly) emitted would have come before it.
      await putInstance(admin, app, "after", "v1");
      await recorder.until((h) => h.includes("after"), 3_000, "a put after the re-read");

      expect(recorder.sets.length - setsBefore).toBe(2);
      const reread = recorder.sets[setsBefore]!;
      expect(fingerprint(reread)).toEqual(truth.fingerprint);
      expect(BigInt(reread.revision)).toBeGreaterThanOrEqual(BigInt(head));

      expect(changes.length - changesBefore).toBe(2);
      const net = changes[changesBefore]!;
      const hosts = (xs: readonly { hostname: string }[]): string[] => xs.map((x) => x.hostname);
      expect(hosts(net.removed)).toEqual(["h0", "h1", "h2"]);
      expect(hosts(net.added)).toEqual(["h10", "h11", "h12", "h13"]);
      expect(hosts(net.updated)).toEqual(["h3", "h4", "h6"]);
      expect(net.updated.map((i) => i.version)).toEqual(["v5", "v5", "v51"]);
      // Unchanged instances keep their objects through the re-read.
      const before = changes[changesBefore - 1]!.info.instances.find((i) => i.hostname === "h5");
      expect(net.info.instances.find((i) => i.hostname === "h5")).toBe(before);

      expect(recorder.errors).toEqual([]);
    } finally {
      changesSub.unsubscribe();
    }
  });
});
