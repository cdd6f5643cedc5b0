import { firstValueFrom, type Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { MemoryLink, MemoryStore, memoryBackend } from "../../../src/backends/memory/index.js";
import { isNamingError, type NamingError } from "../../../src/model/index.js";
import type { Backend, Lease, WatchMessage } from "../../../src/port/index.js";
import { virtualClock } from "./virtual-time.js";

const setup = () => {
  const clock = virtualClock();
  const store = new MemoryStore({ scheduler: clock.scheduler });
  const link = new MemoryLink();
  const backend = memoryBackend({ store, link });
  const other = memoryBackend({ store });
  return { ...clock, store, link, backend, other };
};

interface Recorded<T> {
  readonly values: T[];
  error: unknown;
  completed: boolean;
  unsubscribe(): void;
}

const record = <T>(source: Observable<T>): Recorded<T> => {
  const r: Recorded<T> = {
    values: [],
    error: undefined,
    completed: false,
    unsubscribe: () => sub.unsubscribe(),
  };
  const sub = source.subscribe({
    next: (v) => r.values.push(v),
    error: (e: unknown) => {
      r.error = e;
    },
    complete: () => {
      r.completed = true;
    },
  });
  return r;
};

/** The one value a synchronous call emits, or the NamingError it fails with. */
const now = <T>(source: Observable<T>): T => {
  const r = record(source);
  if (r.error !== undefined) throw r.error;
  expect(r.values).toHaveLength(1);
  expect(r.completed).toBe(true);
  return r.values[0]!;
};

const failure = (source: Observable<unknown>): NamingError => {
  const r = record(source);
  expect(r.values).toEqual([]);
  expect(isNamingError(r.error)).toBe(true);
  return r.error as NamingError;
};

const grant = (backend: Backend, ttlSeconds: number): Lease => now(backend.grant(ttlSeconds));

describe("memoryBackend watch", () => {
  it("is the memory scheme on the store's scheduler", () => {
    const { backend, scheduler } = setup();
    expect(backend.scheme).toBe("memory");
    expect(backend.scheduler).toBe(scheduler);
  });

  it("first emits a snapshot of the prefix at the current revision, then live batches", () => {
    const { store, backend } = setup();
    store.put("/p/demo/h2", "v2");
    store.put("/p/demo/h1", "v1");
    store.put("/p/other/h", "x");
    const w = record(backend.watch("/p/demo/"));
    expect(w.values).toEqual([
      {
        type: "snapshot",
        revision: "4",
        entries: [
          { key: "/p/demo/h1", value: "v1" },
          { key: "/p/demo/h2", value: "v2" },
        ],
      },
    ]);
    store.put("/p/demo/h3", "v3");
    store.delete("/p/demo/h1", "/p/demo/h2");
    expect(w.values.slice(1)).toEqual([
      {
        type: "batch",
        revision: "5",
        changes: [{ type: "put", key: "/p/demo/h3", value: "v3", revision: "5" }],
      },
      {
        type: "batch",
        revision: "6",
        changes: [
          { type: "delete", key: "/p/demo/h1", revision: "6" },
          { type: "delete", key: "/p/demo/h2", revision: "6" },
        ],
      },
    ]);
    expect(w.error).toBeUndefined();
    expect(w.completed).toBe(false);
    w.unsubscribe();
  });

  it("an empty prefix still gets a snapshot", () => {
    const { backend } = setup();
    const w = record(backend.watch("/p/none/"));
    expect(w.values).toEqual([{ type: "snapshot", revision: "1", entries: [] }]);
    w.unsubscribe();
  });

  it("filters by prefix: /p/demo/ does not see /p/demo2/x", () => {
    const { store, backend } = setup();
    store.put("/p/demo2/x", "old");
    const w = record(backend.watch("/p/demo/"));
    expect(w.values).toEqual([{ type: "snapshot", revision: "2", entries: [] }]);
    store.put("/p/demo2/x", "1");
    store.put("/p/demo", "1");
    store.put("/p/demo/h", "1");
    store.delete("/p/demo2/x", "/p/demo/h");
    expect(w.values.slice(1)).toEqual([
      {
        type: "batch",
        revision: "5",
        changes: [{ type: "put", key: "/p/demo/h", value: "1", revision: "5" }],
      },
      { type: "batch", revision: "6", changes: [{ type: "delete", key: "/p/demo/h", revision: "6" }] },
    ]);
    w.unsubscribe();
  });

  it("watch(prefix, since) replays one batch per revision after since, then goes live", () => {
    const { store, backend } = setup();
    store.put("/p/a/h1", "1"); // 2
    store.put("/p/a/h2", "1"); // 3
    store.put("/p/b/h1", "1"); // 4
    store.delete("/p/a/h1", "/p/a/h2", "/p/b/h1"); // 5
    store.put("/p/a/h3", "1"); // 6
    const w = record(backend.watch("/p/a/", "2"));
    const shape = (m: WatchMessage) =>
      m.type === "batch"
        ? { revision: m.revision, changes: m.changes.map((c) => `${c.type} ${c.key} ${c.revision}`) }
        : m;
    expect(w.values.map(shape)).toEqual([
      { revision: "3", changes: ["put /p/a/h2 3"] },
      { revision: "5", changes: ["delete /p/a/h1 5", "delete /p/a/h2 5"] },
      { revision: "6", changes: ["put /p/a/h3 6"] },
    ]);
    expect(w.values.every((m) => m.type === "batch")).toBe(true);
    store.put("/p/a/h4", "1");
    expect(w.values.map(shape).at(-1)).toEqual({ revision: "7", changes: ["put /p/a/h4 7"] });
    w.unsubscribe();
  });

  it("a replayed batch equals the live batch it replays", () => {
    const { store, backend } = setup();
    const live = record(backend.watch("/p/a/"));
    store.put("/p/a/h1", "1");
    store.delete("/p/a/h1");
    const replay = record(backend.watch("/p/a/", "1"));
    expect(replay.values).toEqual(live.values.slice(1));
    live.unsubscribe();
    replay.unsubscribe();
  });

  it("watch(prefix, current revision) emits nothing until the next change", () => {
    const { store, backend } = setup();
    store.put("/p/a/h1", "1");
    const w = record(backend.watch("/p/a/", store.currentRevision));
    expect(w.values).toEqual([]);
    store.put("/p/a/h1", "2");
    expect(w.values).toHaveLength(1);
    expect(w.values[0]).toMatchObject({ type: "batch", revision: "3" });
    w.unsubscribe();
  });

  it("watch from a compacted revision gets a snapshot instead", () => {
    const { store, backend } = setup();
    store.put("/p/a/h1", "1"); // 2
    store.put("/p/a/h2", "2"); // 3
    store.delete("/p/a/h1"); // 4
    store.compact("3");
    const w = record(backend.watch("/p/a/", "2"));
    expect(w.values).toEqual([
      { type: "snapshot", revision: "4", entries: [{ key: "/p/a/h2", value: "2" }] },
    ]);
    store.put("/p/a/h3", "3");
    expect(w.values[1]).toMatchObject({ type: "batch", revision: "5" });
    w.unsubscribe();
  });

  it("watch from a revision auto-compacted by historyLimit gets a snapshot", () => {
    const clock = virtualClock();
    const store = new MemoryStore({ scheduler: clock.scheduler, historyLimit: 2 });
    const backend = memoryBackend({ store });
    for (let i = 0; i < 5; i++) store.put(`/p/a/h${i}`, String(i)); // 2..6
    const w = record(backend.watch("/p/a/", "2"));
    expect(w.values).toHaveLength(1);
    expect(w.values[0]).toMatchObject({ type: "snapshot", revision: "6" });
    w.unsubscribe();
    const recent = record(backend.watch("/p/a/", "4"));
    expect(recent.values.map((m) => m.type === "batch" && m.revision)).toEqual(["5", "6"]);
    recent.unsubscribe();
  });

  it("does not lose a change written while the snapshot is being delivered", () => {
    const { store, backend } = setup();
    const seen: WatchMessage[] = [];
    const sub = backend.watch("/p/a/").subscribe((m) => {
      seen.push(m);
      if (m.type === "snapshot") store.put("/p/a/h1", "written on snapshot");
    });
    expect(store.get("/p/a/h1")).toBe("written on snapshot");
    expect(seen).toEqual([
      { type: "snapshot", revision: "1", entries: [] },
      {
        type: "batch",
        revision: "2",
        changes: [{ type: "put", key: "/p/a/h1", value: "written on snapshot", revision: "2" }],
      },
    ]);
    sub.unsubscribe();
  });

  it("store.watchers counts open watches and drops on unsubscribe", () => {
    const { store, backend, other } = setup();
    expect(store.watchers).toBe(0);
    const w = backend.watch("/p/a/");
    expect(store.watchers).toBe(0); // cold
    const a = record(w);
    const b = record(w);
    const c = record(other.watch("/p/b/", "1"));
    expect(store.watchers).toBe(3);
    a.unsubscribe();
    expect(store.watchers).toBe(2);
    b.unsubscribe();
    c.unsubscribe();
    expect(store.watchers).toBe(0);
    store.changes$.subscribe(() => undefined);
    expect(store.watchers).toBe(0);
  });

  it("marble: a lease expiring in virtual time reaches the watch as one batch", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable, cold }) => {
      const store = new MemoryStore({ scheduler: ts });
      const backend = memoryBackend({ store });
      const id = store.grant(1);
      store.put("/p/a/h1", "1", id);
      store.put("/p/a/h2", "2", id);
      cold("400ms k").subscribe(() => store.keepAlive(id));
      expectObservable(backend.watch("/p/a/"), "^ 2000ms !").toBe("s 1399ms d", {
        s: {
          type: "snapshot",
          revision: "3",
          entries: [
            { key: "/p/a/h1", value: "1" },
            { key: "/p/a/h2", value: "2" },
          ],
        },
        d: {
          type: "batch",
          revision: "4",
          changes: [
            { type: "delete", key: "/p/a/h1", revision: "4" },
            { type: "delete", key: "/p/a/h2", revision: "4" },
          ],
        },
      });
    });
  });
});

describe("memoryBackend leases", () => {
  it("grant gives a lease whose put writes under it and returns the revision", () => {
    const { store, backend } = setup();
    const lease = grant(backend, 3);
    expect(lease.id).toMatch(/^\d+$/);
    expect(store.hasLease(Number(lease.id))).toBe(true);
    expect(now(lease.put("/p/a/h1", "v"))).toBe("2");
    expect(store.get("/p/a/h1")).toBe("v");
    expect(now(lease.put("/p/a/h1", "v2"))).toBe("3");
  });

  it("grant is cold: one lease per subscription", () => {
    const { store, backend } = setup();
    const grant$ = backend.grant(3);
    expect(store.hasLease(1)).toBe(false);
    const a = now(grant$);
    const b = now(grant$);
    expect(a.id).not.toBe(b.id);
  });

  it("keeps itself alive: the key outlives many TTLs", () => {
    const { store, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    const lost = record(lease.lost$);
    advanceTo(60_000);
    expect(store.get("/p/a/h1")).toBe("v");
    expect(lost.values).toEqual([]);
  });

  it("revoke deletes the keys at once, stops keep-alives and is not a loss", () => {
    const { store, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    now(lease.put("/p/a/h2", "v"));
    const lost = record(lease.lost$);
    const w = record(backend.watch("/p/a/", store.currentRevision));
    const r = record(lease.revoke());
    expect(r.values).toEqual([undefined]);
    expect(r.completed).toBe(true);
    expect(store.range("/p/a/").entries).toEqual([]);
    expect(store.hasLease(Number(lease.id))).toBe(false);
    expect(w.values).toHaveLength(1);
    advanceTo(60_000);
    expect(lost.values).toEqual([]);
    expect(scheduledActions(store)).toBe(0);
    w.unsubscribe();
  });

  it("a lease revoked behind its back (admin) is reported lost at once while the line is up", () => {
    const { store, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    const lost = record(lease.lost$);
    advanceTo(1500);
    expect(lost.values).toEqual([]);
    store.revokeLease(Number(lease.id));
    expect(lost.values).toHaveLength(1);
    expect(lost.values[0]!._tag).toBe("Backend");
    expect(lost.values[0]!.recoverable).toBe(true);
    expect(lost.completed).toBe(true);
    // late subscribers learn it too
    expect(record(lease.lost$).values).toHaveLength(1);
  });

  it("a put under a lost lease fails with a Backend error naming the key, and reports the loss", () => {
    const { store, backend } = setup();
    const lease = grant(backend, 3);
    store.revokeLease(Number(lease.id));
    const lost = record(lease.lost$);
    const err = failure(lease.put("/p/a/h1", "v"));
    expect(err._tag).toBe("Backend");
    expect(store.get("/p/a/h1")).toBeUndefined();
    expect(lost.values).toHaveLength(1);
    expect(err.key).toBe("/p/a/h1");
  });

  it("delete removes a key whatever holds it", () => {
    const { store, backend, other } = setup();
    const lease = grant(other, 3);
    now(lease.put("/p/a/h1", "v"));
    expect(now(backend.delete("/p/a/h1"))).toBeUndefined();
    expect(store.get("/p/a/h1")).toBeUndefined();
    expect(now(backend.delete("/p/a/missing"))).toBeUndefined();
  });

  it("close ends keep-alives and refuses further calls with Closed", async () => {
    const { store, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    await backend.close();
    expect(failure(backend.grant(3))._tag).toBe("Closed");
    expect(failure(backend.watch("/p/a/"))._tag).toBe("Closed");
    expect(failure(backend.delete("/p/a/h1"))._tag).toBe("Closed");
    advanceTo(3000);
    expect(store.get("/p/a/h1")).toBeUndefined();
  });
});

/** How many actions are queued on the store's virtual scheduler. */
const scheduledActions = (store: MemoryStore): number =>
  (store.scheduler as unknown as { actions: unknown[] }).actions.length;

describe("memoryBackend with a cut MemoryLink", () => {
  it("every call fails with a recoverable Backend NamingError while cut", () => {
    const { store, link, backend } = setup();
    const lease = grant(backend, 3);
    link.cut();
    expect(link.isUp).toBe(false);
    for (const call of [
      backend.grant(3),
      backend.watch("/p/a/"),
      backend.watch("/p/a/", "1"),
      backend.delete("/p/a/h1"),
      lease.put("/p/a/h1", "v"),
    ]) {
      const err = failure(call);
      expect(err._tag).toBe("Backend");
      expect(err.recoverable).toBe(true);
      expect(err).toBeInstanceOf(Error);
    }
    expect(store.watchers).toBe(0);
    expect(store.get("/p/a/h1")).toBeUndefined();
    link.restore();
    expect(now(lease.put("/p/a/h1", "v"))).toBe("2");
  });

  it("breaks open watches with a Backend error, and only this client's", () => {
    const { store, link, backend, other } = setup();
    const mine = record(backend.watch("/p/a/"));
    const theirs = record(other.watch("/p/a/"));
    expect(store.watchers).toBe(2);
    link.cut();
    expect(isNamingError(mine.error)).toBe(true);
    expect((mine.error as NamingError)._tag).toBe("Backend");
    expect(theirs.error).toBeUndefined();
    expect(store.watchers).toBe(1);
    store.put("/p/a/h1", "v");
    expect(mine.values).toHaveLength(1);
    expect(theirs.values).toHaveLength(2);
    theirs.unsubscribe();
  });

  it("the store expires the client's lease while its keep-alives cannot get through; restore reports it lost", () => {
    const { store, link, backend, other, advanceTo } = setup();
    const lease = grant(backend, 3); // held alive while the line is up
    now(lease.put("/p/a/h1", "v"));
    const lost = record(lease.lost$);
    const theirs = record(other.watch("/p/a/"));
    advanceTo(1000);
    link.cut(); // the store stops hearing from the client: expiry a TTL later, at 4000
    advanceTo(3999);
    expect(store.get("/p/a/h1")).toBe("v");
    advanceTo(4000);
    expect(store.get("/p/a/h1")).toBeUndefined();
    expect(theirs.values.at(-1)).toEqual({
      type: "batch",
      revision: "3",
      changes: [{ type: "delete", key: "/p/a/h1", revision: "3" }],
    });
    advanceTo(10_000);
    expect(lost.values).toEqual([]); // it cannot learn while cut
    link.restore(); // the first keep-alive through finds the lease gone
    expect(lost.values).toHaveLength(1);
    expect(lost.values[0]!._tag).toBe("Backend");
    expect(lost.completed).toBe(true);
    theirs.unsubscribe();
  });

  it("a cut shorter than the TTL loses nothing", () => {
    const { store, link, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    const lost = record(lease.lost$);
    advanceTo(1500);
    link.cut(); // the lease would expire at 4500
    advanceTo(2500);
    link.restore(); // held again before that: nothing expires
    advanceTo(3000);
    expect(store.get("/p/a/h1")).toBe("v");
    advanceTo(30_000);
    expect(store.get("/p/a/h1")).toBe("v");
    expect(lost.values).toEqual([]);
  });

  it("revoke while cut does not error; the store expires the lease at its TTL", () => {
    const { store, link, backend, advanceTo } = setup();
    const lease = grant(backend, 3);
    now(lease.put("/p/a/h1", "v"));
    link.cut();
    const r = record(lease.revoke());
    expect(r.error).toBeUndefined();
    expect(r.values).toEqual([undefined]);
    expect(store.get("/p/a/h1")).toBe("v");
    link.restore();
    advanceTo(3000);
    expect(store.get("/p/a/h1")).toBeUndefined();
  });
});

describe("memoryBackend with an unavailable store", () => {
  it("breaks every client's watches and refuses calls with Backend", () => {
    const { store, backend, other } = setup();
    const a = record(backend.watch("/p/a/"));
    const b = record(other.watch("/p/a/"));
    store.setAvailable(false);
    expect((a.error as NamingError)._tag).toBe("Backend");
    expect((b.error as NamingError)._tag).toBe("Backend");
    expect(store.watchers).toBe(0);
    expect(failure(backend.watch("/p/a/"))._tag).toBe("Backend");
    expect(failure(backend.grant(1))._tag).toBe("Backend");
    store.setAvailable(true);
    const c = record(backend.watch("/p/a/"));
    expect(c.values).toHaveLength(1);
    c.unsubscribe();
  });

  it("a resuming watch gets nothing from an unavailable store, only the Backend error", () => {
    const { store, backend } = setup();
    store.put("/p/a/h1", "v"); // 2
    store.setAvailable(false);
    const err = failure(backend.watch("/p/a/", "1"));
    expect(err._tag).toBe("Backend");
    expect(store.watchers).toBe(0);
  });

  it("a backend made while the store was down watches normally once it is back", () => {
    const clock = virtualClock();
    const store = new MemoryStore({ scheduler: clock.scheduler });
    store.setAvailable(false);
    const backend = memoryBackend({ store });
    store.setAvailable(true);
    const w = record(backend.watch("/p/a/"));
    expect(w.error).toBeUndefined();
    store.put("/p/a/h1", "v");
    expect(w.values.map((m) => m.type)).toEqual(["snapshot", "batch"]);
    w.unsubscribe();
  });

  it("grant resolves as a Promise too (firstValueFrom)", async () => {
    const { backend } = setup();
    const lease = await firstValueFrom(backend.grant(2));
    expect(lease.id).toBe("1");
  });
});
