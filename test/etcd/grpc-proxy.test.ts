// Many processes: rxnaming through etcd's own gRPC proxy (`etcd grpc-proxy start`).
// Registration, keep-alive, discovery, gapless start and the compaction re-read work through it
// unchanged, and a quiet watch through it is not taken for a hung one.
import { afterEach, describe, expect, it } from "vitest";
import { type RegistrationEvent } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import {
  holdFor,
  startEtcd,
  startGrpcProxy,
  startProxy,
  useHarnessCleanup,
  waitFor,
  type EtcdProcess,
  type GrpcProxy,
} from "../harness/index.js";
import {
  deleteInstance,
  ErrorLog,
  etcdState,
  fingerprint,
  freshApp,
  inst,
  keyOf,
  putInstance,
  Recorder,
} from "../faults/support.js";
import { EtcdWorld } from "./support.js";

useHarnessCleanup();

describe("through etcd's gRPC proxy", () => {
  let world: EtcdWorld | undefined;
  let etcd: EtcdProcess | undefined;
  let proxy: GrpcProxy | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  const setUp = async (): Promise<{ w: EtcdWorld; proxy: GrpcProxy }> => {
    const e = (etcd ??= await startEtcd());
    const p = (proxy ??= await startGrpcProxy(e));
    world = new EtcdWorld(() => e.clientOptions());
    return { w: world, proxy: p };
  };

  it("registers, keeps the lease alive past its TTL, and discovers puts and deletes", async () => {
    const { w, proxy } = await setUp();
    const app = freshApp("gproxy");
    const viaProxy = w.naming({ ttlSeconds: 2 }, w.client({ hosts: [proxy.endpoint] }));
    const errors = new ErrorLog(viaProxy);
    const recorder = new Recorder(viaProxy.build(app).instances$);
    const events: RegistrationEvent[] = [];
    const sub = viaProxy.register(inst(app, "h1")).subscribe((e) => events.push(e));
    try {
      await recorder.until((h) => h.includes("h1"), 5_000, "own registration seen through the proxy");
      // Later changes made directly on etcd reach the watch through the proxy.
      await putInstance(w.admin, app, "h2", "v1");
      await recorder.until((h) => h.includes("h2"), 3_000, "a later put");
      await deleteInstance(w.admin, app, "h2");
      await recorder.until((h) => !h.includes("h2"), 3_000, "a later delete");
      // Quiet for longer than the hung-stream threshold (6 s) and past 3 TTLs: the keep-alives went
      // through, and the quiet watch was not taken for a hung one.
      const quietFrom = Date.now();
      const quietMs = 7_000;
      await holdFor(quietMs);
      expect((await etcdState(w.admin, app)).fingerprint).toEqual(["h1="]);
      expect(events.map((e) => e.type)).toEqual(["registered"]);
      expect(errors.since(quietFrom).map((e) => e.message)).toEqual([]);
      await putInstance(w.admin, app, "h3", "v1");
      await recorder.until((h) => h.includes("h3"), 3_000, "a put after the quiet");
      expect(recorder.errors).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it("starts without a gap while two writers churn", async () => {
    const { w, proxy } = await setUp();
    const app = freshApp("gproxy-gap");
    const writer = w.client();
    let stop = false;
    let n = 0;
    const writers = [0, 1].map(async (k) => {
      while (!stop) {
        const host = `h${k}-${n++ % 40}`;
        if (n % 3 === 0) await writer.delete().key(keyOf(app, host)).exec();
        else
          await writer
            .put(keyOf(app, host))
            .value(encodeInstance(inst(app, host, { version: String(n) })))
            .exec();
      }
    });
    const recorders: Recorder[] = [];
    for (let i = 0; i < 6; i++) {
      // Each resolver starts some writes after the one before it, at another revision.
      const writesBefore = n;
      await waitFor(() => n >= writesBefore + 5, { message: "writes between resolver starts" });
      recorders.push(new Recorder(w.naming({}, w.client({ hosts: [proxy.endpoint] })).build(app).instances$));
    }
    await waitFor(() => n >= 200, { timeoutMs: 20_000 });
    stop = true;
    await Promise.all(writers);
    const truth = (await etcdState(w.admin, app)).fingerprint;
    await waitFor(() => recorders.every((r) => r.fingerprint()?.join() === truth.join()), {
      timeoutMs: 5_000,
      message: "every resolver equal to etcd",
    }).catch(() => undefined);
    for (const r of recorders) expect(r.fingerprint()).toEqual(truth);
  });

  it("re-reads the set when its start revision was compacted while it was cut off", async () => {
    const { w, proxy } = await setUp();
    const app = freshApp("gproxy-compact");
    // client -> TCP proxy (to cut) -> gRPC proxy -> etcd
    const cut = await startProxy({ hostPort: `127.0.0.1:${proxy.port}`, endpoint: proxy.endpoint });
    for (let i = 0; i < 5; i++) await putInstance(w.admin, app, `h${i}`, "v1");
    const watching = w.naming({}, w.client({ hosts: [cut.endpoint] }));
    const errors = new ErrorLog(watching);
    const recorder = new Recorder(watching.build(app).instances$);
    await recorder.until((h) => h.length === 5);
    cut.cut({ mode: "reset" });
    await errors.first(0, (e) => e._tag === "Backend", 5_000, "the cut reported");
    for (let i = 0; i < 2; i++) await deleteInstance(w.admin, app, `h${i}`);
    await putInstance(w.admin, app, "h9", "v1");
    for (let i = 0; i < 20; i++) await putInstance(w.admin, app, "h4", `v${i + 2}`);
    const head = (await w.admin.getAll().prefix("/").exec()).header.revision;
    await w.admin.kv.compact({ revision: head, physical: true });
    const truth = await etcdState(w.admin, app);
    cut.restore();
    await waitFor(() => recorder.fingerprint()?.join() === truth.fingerprint.join(), {
      timeoutMs: 8_000,
      message: "the re-read set",
    });
    expect(fingerprint(recorder.latest!)).toEqual(truth.fingerprint);
    await putInstance(w.admin, app, "after", "v1");
    await recorder.until((h) => h.includes("after"), 3_000, "a put after the re-read");
    expect(recorder.errors).toEqual([]);
  });
});
