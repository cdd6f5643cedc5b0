// The etcd backend's metrics against a real etcd behind a TCP proxy: lease keep-alive latency,
// the shared watch stream made again after a cut, and the set read again after a compaction.
import { Etcd3 } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import { etcdNaming, instance, instrumentNaming, type Naming } from "../../src/index.js";
import { startEtcd, startProxy, useHarnessCleanup, waitFor } from "../harness/index.js";
import { testMeterProvider } from "./metric-reader.js";

useHarnessCleanup();

const etcdScheme = { "rxnaming.scheme": "etcd" };

describe("etcd metrics", () => {
  const closing: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  it("records keep-alive latency, a watch reconnect and a compaction re-read", async () => {
    const etcd = await startEtcd();
    const proxy = await startProxy(etcd);
    const admin = new Etcd3(etcd.clientOptions());
    closing.push(() => admin.close());
    const naming: Naming = etcdNaming({ hosts: [proxy.endpoint] }, { ttlSeconds: 3, lingerMs: 0 });
    closing.push(() => naming.close());
    const { provider, collect } = testMeterProvider();
    instrumentNaming(naming, { meterProvider: provider });
    const app = "metrics.app";

    const registered = instance({ appId: app, hostname: "h1", addrs: ["grpc://127.0.0.1:9000"] });
    if (registered._tag === "Left") throw registered.left;
    const registration = naming.register(registered.right).subscribe();
    closing.push(() => registration.unsubscribe());
    const sizes: number[] = [];
    const watch = naming.build(app).instances$.subscribe((info) => sizes.push(info.instances.length));
    closing.push(() => watch.unsubscribe());
    await waitFor(() => sizes.at(-1) === 1, { message: "h1 seen" });

    // A keep-alive goes every TTL/3 (1 s): its answer is timed.
    const keepAlive = await waitFor(
      async () => {
        const m = (await collect()).get("rxnaming.lease.keepalive.duration");
        const point = m?.points[0];
        return point !== undefined && typeof point.value === "object" && point.value.count > 0
          ? m
          : undefined;
      },
      { message: "a keep-alive recorded" },
    );
    expect(keepAlive).toMatchObject({
      unit: "s",
      description: "Time from sending a lease keep-alive to etcd's answer.",
      type: "HISTOGRAM",
      points: [{ attributes: etcdScheme }],
    });
    const seconds = keepAlive.points[0]!.value as { count: number; sum: number };
    expect(seconds.sum / seconds.count).toBeGreaterThan(0);
    expect(seconds.sum / seconds.count).toBeLessThan(1);

    // Cut the watcher off, write and compact meanwhile: on reconnect the watch cannot resume.
    proxy.cut({ mode: "reset" });
    // Two writes: etcd keeps the compaction revision itself, so the watch's next one must be older.
    for (const hostname of ["h2", "h3"]) {
      await admin.put(`/kratos_etcd/${app}/${hostname}`).value(JSON.stringify({ appid: app, hostname }));
    }
    const head = (await admin.getAll().prefix("/").exec()).header.revision;
    await admin.kv.compact({ revision: head, physical: true });
    proxy.restore();
    await waitFor(() => sizes.at(-1) === 3, {
      timeoutMs: 10_000,
      message: "h2 and h3 seen after the re-read",
    });

    const got = await collect();
    expect(got.get("rxnaming.watch.rereads")).toEqual({
      name: "rxnaming.watch.rereads",
      unit: "{reread}",
      description: "Sets read again because a watch could not resume from its revision (etcd compaction).",
      type: "SUM",
      points: [{ attributes: etcdScheme, value: 1 }],
    });
    const reconnects = got.get("rxnaming.watch.reconnects");
    expect(reconnects?.points).toEqual([{ attributes: etcdScheme, value: expect.any(Number) }]);
    expect(reconnects!.points[0]!.value).toBeGreaterThanOrEqual(1);
    expect(got.get("rxnaming.resolver.instances")?.points).toEqual([
      { attributes: { "rxnaming.app": app, "rxnaming.scheme": "etcd" }, value: 3 },
    ]);
  });
});
