// The ZooKeeper side of test/faults/late-put.test.ts: updates that timed out on a SIGSTOPped
// server wait in that server's socket. Resumed, the server goes on with them after the session
// has moved to another server and written a later update there. They must not undo it, and they
// do not: ZooKeeper refuses a request of a session that moved (SessionMovedException), and within
// one connection a session's requests are applied in order. (Unlike etcd, the registration's own
// condition, setData by the version it last wrote, is not what saves it here: made unconditional,
// this test still passes. The condition is for a node another session took.)
import { firstValueFrom } from "rxjs";
import { expect, it } from "vitest";
import { kratosV1Layout } from "../../src/backends/layouts/index.js";
import { zookeeperBackend } from "../../src/backends/zookeeper/zookeeper-backend.js";
import { encodeInstance } from "../../src/testing/index.js";
import { inst } from "../contract/naming-contract.js";
import {
  fourLetterWord,
  startZooKeeperEnsemble,
  useHarnessCleanup,
  waitFor,
  type ZooKeeperProcess,
} from "../harness/index.js";
import { RawZk } from "./support.js";

/** Client packets a server has read, and requests it has not answered yet (from `srvr`). */
const packets = async (server: ZooKeeperProcess): Promise<{ received: number; outstanding: number }> => {
  const srvr = await fourLetterWord(server.hostPort, "srvr");
  const count = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(srvr)?.[1] ?? NaN);
  return { received: count("Received"), outstanding: count("Outstanding") };
};

useHarnessCleanup();

const APP = "zk.late";
const KEY = `/kratos_etcd/${APP}/h1`;
const values = new Map<string, string>();
const value = (version: string): string => {
  const made = values.get(version) ?? encodeInstance(inst(APP, "h1", { version }));
  values.set(version, made);
  return made;
};

it("an update that timed out on a paused server does not overwrite a later one when the server resumes", async () => {
  const ensemble = await startZooKeeperEnsemble(3);
  const backend = zookeeperBackend({
    servers: ensemble.connectionString,
    layout: kratosV1Layout("kratos_etcd"),
    sessionTimeoutMs: 4_000,
    requestTimeoutMs: 1_000,
  });
  let reader: RawZk | undefined;
  try {
    const lease = await firstValueFrom(backend.grant(10));
    const put = (version: string): Promise<string> => firstValueFrom(lease.put(KEY, value(version)));
    await put("v0");
    // A paused leader would need an election before any server answered the session again, and
    // the session could expire meanwhile (a lease loss, which other tests cover): while the
    // session is on the leader, restart it, and the session moves to another server.
    const serverOfSession = () =>
      waitFor(() => ensemble.serverOf(lease.id), { timeoutMs: 15_000, message: `the server of ${lease.id}` });
    for (let tries = 0; tries < 5; tries++) {
      const server = await serverOfSession();
      if ((await server.mode()) !== "leader") break;
      await server.restart();
    }
    const on = await serverOfSession();
    // Read through the other servers: a raw client on the paused one would hang
    // (docs/zookeeper.md#calls-queue-while-disconnected).
    const others = ensemble.servers.filter((s) => s !== on);
    reader = new RawZk(others.map((s) => s.hostPort).join(","));
    expect(await on.mode()).toBe("follower");
    const receivedBeforePause = (await packets(on)).received;
    on.pause();
    // Sent to the paused server: each times out there, and waits in its socket.
    const late = await Promise.allSettled(Array.from({ length: 8 }, () => put("v1")));
    expect(late.every((r) => r.status === "rejected")).toBe(true);
    // The client gives the silent server up and goes on with the same session elsewhere.
    await waitFor(
      async () => {
        const now = await ensemble.serverOf(lease.id);
        return now !== undefined && now !== on;
      },
      { timeoutMs: 15_000, message: `${lease.id} on another server` },
    );
    await waitFor(() => put("v2").then(() => true), { timeoutMs: 15_000, message: "v2 written" });
    expect(await reader.get(KEY)).toBe(value("v2"));

    on.resume();
    await on.waitServing();
    // The resumed server has read the eight late writes from its socket and answered them all.
    await waitFor(
      async () => {
        const now = await packets(on);
        return now.received >= receivedBeforePause + 8 && now.outstanding === 0;
      },
      { timeoutMs: 3_000, message: "the late writes read and answered by the resumed server" },
    );
    expect(await reader.get(KEY)).toBe(value("v2"));
    // And the registration writes on from there.
    await put("v3");
    expect(await reader.get(KEY)).toBe(value("v3"));
  } finally {
    await backend.close();
    reader?.client.close();
    await ensemble.dispose();
  }
}, 90_000);
