// The keep-alive hub's own bookkeeping, at a scale that no etcd on this machine would hold: the
// stream is an in-process one that takes every keep-alive and answers none (a member gone quiet),
// so the hub's checks of a silent stream run over every lease it holds.
import { EventEmitter } from "node:events";
import type { Etcd3, ILeaseKeepAliveRequest } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import { KeepAliveHub } from "../../../src/backends/etcd/keepalive-hub.js";
import { Members } from "../../../src/backends/etcd/members.js";
import { waitFor } from "../../harness/wait-for.js";

/** A stream that swallows every request: writes are counted, nothing is answered. */
class QuietStream extends EventEmitter {
  writes = 0;
  writable = true;
  write(_request: ILeaseKeepAliveRequest): boolean {
    this.writes++;
    return true;
  }
  end(): void {
    this.writable = false;
  }
  cancel(): void {
    this.writable = false;
  }
}

describe("KeepAliveHub", () => {
  let hub: KeepAliveHub | undefined;
  afterEach(() => hub?.close());

  it("holds 150,000 leases on one stream and checks it for silence without failing", async () => {
    const streams: QuietStream[] = [];
    // A client without the pool rxnaming knows is used through its public API: the fallback.
    const client = {
      leaseClient: {
        leaseKeepAlive: () => {
          const stream = new QuietStream();
          streams.push(stream);
          return Promise.resolve(stream);
        },
      },
    } as unknown as Etcd3;
    const faults: string[] = [];
    hub = new KeepAliveHub(
      { members: new Members(client), fault: (e) => faults.push(e.message) },
      { tickMs: 20 },
    );
    const N = 150_000;
    for (let i = 0; i < N; i++) hub.add(String(i + 1), 60, () => undefined);
    // Every lease is sent once on the new stream; then the stream goes unanswered for longer than
    // the hub tolerates (a sixth of the shortest TTL, capped at 2 s), so its silence check runs on
    // every tick, over every lease the hub holds.
    await waitFor(() => streams[0]?.writes === N, { timeoutMs: 20_000, message: "every lease sent once" });
    await waitFor(() => streams.length >= 2, { timeoutMs: 20_000, message: "the silent stream re-made" });
    expect(faults.join("\n")).toMatch(/silent for over 2000 ms/);
  });
});
