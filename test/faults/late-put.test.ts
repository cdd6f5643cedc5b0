// A put whose deadline passed is not a put that failed. A SIGSTOPped member keeps the requests it
// was sent in its socket; resumed, it forwards them to the leader, which applies them after
// everything written since. Found by the soak (seed 13013): an `Observable<Instance>` update v8 was
// overwritten by its own v7 that had timed out on a paused member. The first test shows etcd doing
// it to a plain put; the second that a registration's writes are immune (they are conditional).
import { Etcd3 } from "etcd3";
import { firstValueFrom } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { etcdBackend } from "../../src/backends/etcd/index.js";
import { etcdClientOptions } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import type { Backend, Lease } from "../../src/port/index.js";
import {
  startCluster,
  useHarnessCleanup,
  waitFor,
  type EtcdCluster,
  type EtcdProcess,
} from "../harness/index.js";
import { inst } from "./support.js";

useHarnessCleanup("each");

const KEY = "/kratos_etcd/lateputs/h1";
// One value per version, made once (an instance's timestamp is the time it was made).
const values = new Map<string, string>();
const value = (version: string): string => {
  const made = values.get(version) ?? encodeInstance(inst("lateputs", "h1", { version }));
  values.set(version, made);
  return made;
};
// Enough timed-out writes that at least one is applied on resume (each one alone is, or is not,
// depending on whether etcd's handler sees its request cancelled first: every run of 8 had some
// with 16 on an idle machine, but one CI run on a loaded one had none, so more).
const LATE_WRITES = 48;

/** A cluster with one follower paused, and clients to it and to the rest. */
const pausedFollower = async (
  cluster: EtcdCluster,
): Promise<{ paused: EtcdProcess; healthy: EtcdProcess[] }> => {
  const leader = await cluster.leader();
  const paused = cluster.members.find((m) => m !== leader)!;
  return { paused, healthy: cluster.members.filter((m) => m !== paused) };
};

describe("a write that timed out on a paused member", () => {
  const clients: Etcd3[] = [];
  const backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((b) => b.close()));
    for (const c of clients.splice(0)) c.close();
  });
  const client = (members: readonly EtcdProcess[]): Etcd3 => {
    const c = new Etcd3(etcdClientOptions({ hosts: members.flatMap((m) => m.clientOptions().hosts) }));
    clients.push(c);
    return c;
  };
  const read = async (c: Etcd3): Promise<string | undefined> => (await c.get(KEY).string()) ?? undefined;

  it("is applied by etcd after a later put once the member resumes (a plain put is overwritten)", async () => {
    const cluster = await startCluster(3);
    const { paused, healthy } = await pausedFollower(cluster);
    const toPaused = client([paused]);
    const toHealthy = client(healthy);
    await toPaused.get(KEY).exec(); // connected before the pause: the requests reach its socket
    paused.pause();
    const late = await Promise.allSettled(
      Array.from({ length: LATE_WRITES }, () =>
        toPaused
          .put(KEY)
          .value(value("v1"))
          .options({ deadline: new Date(Date.now() + 500) })
          .exec(),
      ),
    );
    expect(late.every((r) => r.status === "rejected")).toBe(true);
    await toHealthy.put(KEY).value(value("v2")).exec();
    expect(await read(toHealthy)).toBe(value("v2"));
    paused.resume();
    await waitFor(async () => (await read(toHealthy)) === value("v1"), {
      timeoutMs: 3_000,
      message: "a late put applied after the resume",
    });
  }, 60_000);

  it("cannot overwrite a later write of the same lease: the registration's puts are conditional", async () => {
    const cluster = await startCluster(3);
    const { paused, healthy } = await pausedFollower(cluster);
    const c = client([paused, healthy[0]!]);
    const backend = etcdBackend(c, { requestTimeoutMs: 2_000 });
    backends.push(backend);
    const lease: Lease = await firstValueFrom(backend.grant(10));
    const put = (version: string): Promise<string> => firstValueFrom(lease.put(KEY, value(version)));
    await put("v0");
    const txnsBefore = (await paused.grpcCalls("Txn")).started;
    paused.pause();
    // Issued one after another, the calls take turns over the two members: half are sent to the
    // paused one first, time out there, and are then written through the healthy one.
    const tries = await Promise.allSettled(Array.from({ length: LATE_WRITES }, () => put("v1")));
    expect(tries.filter((r) => r.status === "fulfilled").length).toBeGreaterThan(0);
    const v2 = await put("v2");
    expect(await read(client(healthy))).toBe(value("v2"));
    paused.resume();
    // The resumed member has handled every write it was sent: each late one is applied, or refused, by now.
    await waitFor(
      async () => {
        const txn = await paused.grpcCalls("Txn");
        return txn.started > txnsBefore && txn.handled === txn.started;
      },
      { timeoutMs: 3_000, message: "the paused member's writes handled" },
    );
    const reader = client(healthy);
    const kv = (await reader.get(KEY).exec()).kvs[0];
    expect(kv?.value.toString()).toBe(value("v2"));
    expect(kv?.mod_revision).toBe(v2);
    // And the lease writes on from there.
    const v3 = await put("v3");
    expect(Number(v3)).toBeGreaterThan(Number(v2));
    expect(await read(reader)).toBe(value("v3"));
  }, 60_000);
});
