// How rxnaming picks members, with a stand-in for the etcd3 client's pool (no etcd needed).
// A lone member that is suspect is simply used, with one stream, not a burst of opened-and-cancelled
// ones; with three members, calls and streams go to the healthy ones first.
import { EventEmitter } from "node:events";
import { GRPCDeadlineExceededError, GRPCUnavailableError, type Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { Members } from "../../src/backends/etcd/members.js";
import { etcdClientOptions } from "../../src/index.js";

class FakeStream extends EventEmitter {
  writable = true;
  write(): boolean {
    return true;
  }
  end(): void {
    this.writable = false;
  }
  cancel(): void {
    this.writable = false;
  }
}

const fakeClient = (names: string[], channelOptions?: Record<string, unknown>) => {
  const opened: string[] = [];
  const called: string[] = [];
  const reset: string[] = [];
  const metadata = { clone: () => metadata, set: () => undefined };
  const hosts = names.map((host) => ({
    host,
    channelOptions,
    resetAllServices: () => reset.push(host),
    getServiceClient: () => ({
      watch: () => {
        opened.push(host);
        return new FakeStream();
      },
      range: (_req: unknown, _md: unknown, _opts: unknown, cb: (err: Error | null, res: unknown) => void) => {
        called.push(host);
        cb(null, { host });
      },
    }),
  }));
  const client = {
    pool: {
      hosts,
      authenticator: { getMetadata: async () => metadata, invalidateMetadata: () => undefined },
    },
  };
  return { client: client as unknown as Etcd3, opened, called, reset, hosts };
};

const watchSpec = {
  service: "Watch" as const,
  method: "watch",
  fallback: () => Promise.reject(new Error("no")),
};

describe("Members", () => {
  it("opens one stream to a lone member even while it is suspect", async () => {
    const { client, opened } = fakeClient(["m1:2379"]);
    const members = new Members(client);
    members.suspect("m1:2379");
    const { host } = await members.openStream(watchSpec);
    expect(host).toBe("m1:2379");
    expect(opened).toEqual(["m1:2379"]);
  });

  it("sends streams and calls to healthy members first, taking turns among them", async () => {
    const { client, opened, called } = fakeClient(["m1", "m2", "m3"]);
    const members = new Members(client);
    members.suspect("m2");
    for (let i = 0; i < 6; i++) await members.openStream(watchSpec);
    for (let i = 0; i < 6; i++)
      await members.unary(
        { service: "KV", method: "range", request: {}, fallback: () => Promise.reject() },
        1_000,
      );
    expect(opened).not.toContain("m2");
    expect(called).not.toContain("m2");
    expect(new Set(opened)).toEqual(new Set(["m1", "m3"]));
    expect(new Set(called)).toEqual(new Set(["m1", "m3"]));
  });

  it("reads with the public API when a member's service cannot be given a decoder", async () => {
    const { client, called } = fakeClient(["m1"]);
    const members = new Members(client);
    const res = await members.unary(
      {
        service: "KV",
        method: "range",
        request: {},
        deserialize: () => "decoded here",
        fallback: async () => "the public way",
      },
      1_000,
    );
    expect(res).toBe("the public way");
    expect(called).toEqual([]);
  });

  // A member that could not be reached gets new channels only when gRPC would otherwise wait up to
  // 2 minutes to reconnect: re-making channels during a partition leaks a connection in grpc-js 1.14.
  it("re-makes an unreachable member's channels only when the client's reconnect backoff is long", () => {
    const unreachable = new GRPCUnavailableError("14 UNAVAILABLE: connect ECONNREFUSED");
    const cases: [Record<string, unknown> | undefined, string[]][] = [
      [undefined, ["m1"]], // gRPC's default backoff
      [{ "grpc.max_reconnect_backoff_ms": 120_000 }, ["m1"]],
      [etcdClientOptions({ hosts: "m1" }).grpcOptions, []],
      [{ "grpc.max_reconnect_backoff_ms": 5_000 }, []],
    ];
    for (const [options, expected] of cases) {
      const { client, reset, hosts } = fakeClient(["m1"], options);
      const members = new Members(client);
      const host = hosts[0] as unknown as Parameters<Members["failed"]>[0];
      members.failed(host, unreachable);
      // A deadline alone never does: the channel may carry healthy streams.
      members.failed(host, new GRPCDeadlineExceededError("4 DEADLINE_EXCEEDED"));
      expect(reset, JSON.stringify(options)).toEqual(expected);
      expect(members.isSuspect("m1")).toBe(true);
    }
  });
});
