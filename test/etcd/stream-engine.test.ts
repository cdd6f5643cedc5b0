// The stream engine's states, with a stand-in stream (no etcd needed): a stream wanted while the
// engine backs off waits for the backoff; a break is reported once per outage; an open overtaken by
// a release is never adopted by the attempt after it.
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StreamEngine } from "../../src/backends/etcd/stream-engine.js";
import type { NamingError } from "../../src/index.js";

class FakeStream extends EventEmitter {
  writable = true;
  readonly written: unknown[] = [];
  write(request: unknown): boolean {
    this.written.push(request);
    return true;
  }
  end(): void {
    this.writable = false;
  }
  cancel(): void {
    this.writable = false;
  }
  break(): void {
    this.emit("error", new Error("connection reset"));
  }
}

describe("StreamEngine", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = () => {
    const streams: FakeStream[] = [];
    const faults: NamingError[] = [];
    let wanted = true;
    const engine = new StreamEngine<unknown, unknown>({
      name: "test stream",
      open: async () => {
        const stream = new FakeStream();
        streams.push(stream);
        return { stream, host: "m1" };
      },
      wanted: () => wanted,
      opened: () => undefined,
      data: () => undefined,
      fault: (e) => faults.push(e),
      suspect: () => undefined,
      backoff: { initialMs: 1_000, maxMs: 1_000 },
      tickMs: 100,
      silentMs: () => 1_000,
    });
    return { engine, streams, faults, setWanted: (w: boolean) => (wanted = w) };
  };

  it("goes idle -> connecting -> open -> backing-off -> open, and want() during the backoff opens nothing", async () => {
    const { engine, streams } = make();
    expect(engine.state).toBe("idle");
    engine.want();
    expect(engine.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.state).toBe("open");
    streams[0]!.break();
    expect(engine.state).toBe("backing-off");
    for (let i = 0; i < 10; i++) engine.want();
    await vi.advanceTimersByTimeAsync(400); // the backoff is at least 500 ms
    expect(streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(700);
    expect(engine.state).toBe("open");
    expect(streams).toHaveLength(2);
    engine.close();
    expect(engine.state).toBe("closed");
  });

  it("reports an outage once, however many attempts fail, and again after the stream was heard from", async () => {
    const { engine, streams, faults } = make();
    engine.want();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 3; i++) {
      streams[streams.length - 1]!.break();
      await vi.advanceTimersByTimeAsync(1_100);
    }
    expect(faults).toHaveLength(1);
    streams[streams.length - 1]!.emit("data", {});
    streams[streams.length - 1]!.break();
    expect(faults).toHaveLength(2);
    engine.close();
  });

  it("a request left unanswered past the silence is a hang: the stream is re-made", async () => {
    const { engine, streams, faults } = make();
    engine.want();
    await vi.advanceTimersByTimeAsync(0);
    engine.send({ ping: 1 });
    await vi.advanceTimersByTimeAsync(1_200);
    expect(faults.map((e) => e.message)).toEqual([expect.stringMatching(/silent for over 1000 ms/)]);
    expect(engine.state).toBe("backing-off");
    await vi.advanceTimersByTimeAsync(1_100);
    expect(streams).toHaveLength(2);
    engine.close();
  });

  it("release() while backing off cancels the pending reconnect", async () => {
    const { engine, streams, setWanted } = make();
    engine.want();
    await vi.advanceTimersByTimeAsync(0);
    streams[0]!.break();
    setWanted(false);
    engine.release();
    expect(engine.state).toBe("idle");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(streams).toHaveLength(1);
  });

  describe("an open overtaken by release() and want()", () => {
    /** An engine whose opens are settled by the test, one by one. */
    const makeManual = () => {
      const pending: { resolve: (host: string) => FakeStream; reject: (error: Error) => void }[] = [];
      const faults: NamingError[] = [];
      const engine = new StreamEngine<unknown, unknown>({
        name: "test stream",
        open: () =>
          new Promise((resolve, reject) => {
            pending.push({
              resolve: (host) => {
                const stream = new FakeStream();
                resolve({ stream, host });
                return stream;
              },
              reject,
            });
          }),
        wanted: () => true,
        opened: () => undefined,
        data: () => undefined,
        fault: (e) => faults.push(e),
        suspect: () => undefined,
        backoff: { initialMs: 1_000, maxMs: 1_000 },
        tickMs: 100,
        silentMs: () => 1_000,
      });
      return { engine, pending, faults };
    };

    it("closes the stale stream and opens with the new attempt's", async () => {
      const { engine, pending } = makeManual();
      engine.want();
      engine.release();
      engine.want();
      expect(pending).toHaveLength(2);
      const stale = pending[0]!.resolve("m1");
      await vi.advanceTimersByTimeAsync(0);
      expect(stale.writable).toBe(false);
      expect(engine.state).toBe("connecting");
      const fresh = pending[1]!.resolve("m2");
      await vi.advanceTimersByTimeAsync(0);
      expect(engine.state).toBe("open");
      expect(engine.host).toBe("m2");
      expect(fresh.writable).toBe(true);
      engine.close();
    });

    it("does not let the stale open's rejection report a fault or back off the new attempt", async () => {
      const { engine, pending, faults } = makeManual();
      engine.want();
      engine.release();
      engine.want();
      pending[0]!.reject(new Error("connection refused"));
      await vi.advanceTimersByTimeAsync(0);
      expect(faults).toEqual([]);
      expect(engine.state).toBe("connecting");
      pending[1]!.resolve("m2");
      await vi.advanceTimersByTimeAsync(0);
      expect(engine.state).toBe("open");
      expect(engine.host).toBe("m2");
      engine.close();
    });
  });
});
