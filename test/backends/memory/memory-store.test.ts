import type { KeyChange } from "../../../src/port/index.js";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it, vi } from "vitest";
import { MemoryStore, MemoryStoreError } from "../../../src/backends/memory/index.js";
import { virtualClock } from "./virtual-time.js";

const setup = (historyLimit?: number) => {
  const clock = virtualClock();
  const store = new MemoryStore(
    historyLimit === undefined
      ? { scheduler: clock.scheduler }
      : { scheduler: clock.scheduler, historyLimit },
  );
  const batches: (readonly KeyChange[])[] = [];
  store.changes$.subscribe((c) => batches.push(c));
  return { ...clock, store, batches };
};

const storeError = (f: () => unknown): MemoryStoreError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MemoryStoreError);
    return e as MemoryStoreError;
  }
  throw new Error("expected a MemoryStoreError");
};

describe("MemoryStore revisions", () => {
  it("starts at revision 1 and bumps it by one per write", () => {
    const { store } = setup();
    expect(store.currentRevision).toBe("1");
    expect(store.put("/a", "1")).toBe("2");
    expect(store.put("/b", "1")).toBe("3");
    expect(store.put("/a", "2")).toBe("4");
    expect(store.delete("/a")).toBe("5");
    expect(store.currentRevision).toBe("5");
    expect(store.get("/a")).toBeUndefined();
    expect(store.get("/b")).toBe("1");
  });

  it("emits one change batch per write, with the write's revision", () => {
    const { store, batches } = setup();
    store.put("/a", "x");
    store.delete("/a");
    expect(batches).toEqual([
      [{ type: "put", key: "/a", value: "x", revision: "2" }],
      [{ type: "delete", key: "/a", revision: "3" }],
    ]);
  });

  it("deletes many keys in one revision and one batch", () => {
    const { store, batches } = setup();
    store.put("/a", "1");
    store.put("/b", "1");
    store.put("/c", "1");
    batches.length = 0;
    expect(store.delete("/a", "/b", "/missing", "/c")).toBe("5");
    expect(store.currentRevision).toBe("5");
    expect(batches).toEqual([
      [
        { type: "delete", key: "/a", revision: "5" },
        { type: "delete", key: "/b", revision: "5" },
        { type: "delete", key: "/c", revision: "5" },
      ],
    ]);
  });

  it("deleting nothing is no revision and no batch", () => {
    const { store, batches } = setup();
    store.put("/a", "1");
    batches.length = 0;
    expect(store.delete("/missing")).toBeUndefined();
    expect(store.delete()).toBeUndefined();
    expect(store.currentRevision).toBe("2");
    expect(batches).toEqual([]);
  });

  it("deleting the same key twice in one call deletes it once, in one revision", () => {
    const { store, batches } = setup();
    store.put("/a", "1");
    batches.length = 0;
    expect(store.delete("/a", "/a")).toBe("3");
    expect(store.get("/a")).toBeUndefined();
    expect(store.currentRevision).toBe("3");
    expect(batches).toEqual([[{ type: "delete", key: "/a", revision: "3" }]]);
  });

  it("range reads every key under a prefix, sorted, at the current revision", () => {
    const { store } = setup();
    store.put("/p/demo/h2", "2");
    store.put("/p/demo/h1", "1");
    store.put("/p/demo2/x", "x");
    store.put("/p/dem", "no");
    expect(store.range("/p/demo/")).toEqual({
      revision: "5",
      entries: [
        { key: "/p/demo/h1", value: "1" },
        { key: "/p/demo/h2", value: "2" },
      ],
    });
    expect(store.range("/nothing/")).toEqual({ revision: "5", entries: [] });
  });
});

describe("MemoryStore leases", () => {
  it("a lease expires after its TTL and deletes its keys in one batch", () => {
    const { store, batches, advanceTo } = setup();
    const id = store.grant(2);
    store.put("/a", "1", id);
    store.put("/b", "1", id);
    store.put("/c", "free");
    batches.length = 0;
    advanceTo(1999);
    expect(store.hasLease(id)).toBe(true);
    expect(store.get("/a")).toBe("1");
    expect(batches).toEqual([]);
    advanceTo(2000);
    expect(store.hasLease(id)).toBe(false);
    expect(store.get("/a")).toBeUndefined();
    expect(store.get("/b")).toBeUndefined();
    expect(store.get("/c")).toBe("free");
    expect(batches).toEqual([
      [
        { type: "delete", key: "/a", revision: "5" },
        { type: "delete", key: "/b", revision: "5" },
      ],
    ]);
  });

  it("a lease with no keys expires without a revision", () => {
    const { store, advanceTo } = setup();
    const id = store.grant(1);
    advanceTo(5000);
    expect(store.hasLease(id)).toBe(false);
    expect(store.currentRevision).toBe("1");
  });

  it("keepAlive pushes the expiry a TTL into the future", () => {
    const { store, advanceTo } = setup();
    const id = store.grant(1);
    store.put("/a", "1", id);
    advanceTo(900);
    expect(store.keepAlive(id)).toBe(true);
    advanceTo(1800);
    expect(store.keepAlive(id)).toBe(true);
    advanceTo(2799);
    expect(store.get("/a")).toBe("1");
    advanceTo(2800);
    expect(store.get("/a")).toBeUndefined();
    expect(store.keepAlive(id)).toBe(false);
  });

  it("lease ids are distinct", () => {
    const { store } = setup();
    const ids = [store.grant(1), store.grant(1), store.grant(1)];
    expect(new Set(ids).size).toBe(3);
  });

  it("revokeLease deletes its keys at once; unknown leases are ignored", () => {
    const { store, batches, advanceTo } = setup();
    const id = store.grant(10);
    store.put("/a", "1", id);
    store.put("/b", "1", id);
    batches.length = 0;
    store.revokeLease(id);
    expect(store.hasLease(id)).toBe(false);
    expect(store.range("/")).toEqual({ revision: "4", entries: [] });
    expect(batches).toHaveLength(1);
    expect(() => store.revokeLease(id)).not.toThrow();
    expect(() => store.revokeLease(999)).not.toThrow();
    advanceTo(20_000);
    expect(store.currentRevision).toBe("4");
  });

  it("put under an unknown lease throws LeaseNotFound and writes nothing", () => {
    const { store, batches } = setup();
    expect(storeError(() => store.put("/a", "1", 42)).code).toBe("LeaseNotFound");
    expect(store.get("/a")).toBeUndefined();
    expect(store.currentRevision).toBe("1");
    expect(batches).toEqual([]);
  });

  it("rejects a TTL under one second", () => {
    const { store } = setup();
    expect(() => store.grant(0)).toThrow(/invalid option: lease TTL/);
    expect(() => store.grant(0.5)).toThrow(/invalid option: lease TTL/);
    expect(() => store.grant(Number.NaN)).toThrow(/invalid option: lease TTL/);
  });

  it("a key re-put without a lease (or under another lease) leaves its old lease", () => {
    const { store, advanceTo } = setup();
    const a = store.grant(1);
    const b = store.grant(5);
    store.put("/free", "1", a);
    store.put("/moved", "1", a);
    store.put("/free", "2");
    store.put("/moved", "2", b);
    advanceTo(1000);
    expect(store.hasLease(a)).toBe(false);
    expect(store.get("/free")).toBe("2");
    expect(store.get("/moved")).toBe("2");
    advanceTo(5000);
    expect(store.get("/free")).toBe("2");
    expect(store.get("/moved")).toBeUndefined();
  });

  it("a key deleted by hand is not deleted again when its lease expires", () => {
    const { store, batches, advanceTo } = setup();
    const id = store.grant(1);
    store.put("/a", "1", id);
    store.delete("/a");
    store.put("/a", "free");
    batches.length = 0;
    advanceTo(1000);
    expect(store.get("/a")).toBe("free");
    expect(batches).toEqual([]);
  });

  it("expires leases in virtual time on a TestScheduler in run mode", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const store = new MemoryStore({ scheduler: ts });
      const id = store.grant(1);
      store.put("/a", "1", id);
      cold("500ms k").subscribe(() => store.keepAlive(id));
      expectObservable(store.changes$, "^ 2000ms !").toBe("1500ms d", {
        d: [{ type: "delete", key: "/a", revision: "3" }],
      });
    });
  });
});

describe("MemoryStore compaction", () => {
  const fill = (store: MemoryStore, n: number) => {
    for (let i = 0; i < n; i++) store.put(`/k${i}`, String(i));
  };

  it("changesSince returns the changes after a revision", () => {
    const { store } = setup();
    fill(store, 3); // revisions 2, 3, 4
    expect(store.changesSince("1")?.map((c) => c.revision)).toEqual(["2", "3", "4"]);
    expect(store.changesSince("3")).toMatchObject([{ type: "put", key: "/k2", value: "2", revision: "4" }]);
    expect(store.changesSince("4")).toEqual([]);
  });

  it("compact forgets older history: changesSince gives undefined before it", () => {
    const { store } = setup();
    fill(store, 5); // revisions 2..6
    store.compact("4");
    expect(store.compactRevision).toBe("4");
    expect(store.changesSince("2")).toBeUndefined();
    expect(store.changesSince("3")).toBeUndefined();
    expect(store.changesSince("4")?.map((c) => c.revision)).toEqual(["5", "6"]);
    expect(store.range("/").entries).toHaveLength(5);
  });

  it("compact without a revision compacts everything; never moves back; never past the current revision", () => {
    const { store } = setup();
    fill(store, 3);
    store.compact();
    expect(store.compactRevision).toBe("4");
    expect(store.changesSince("3")).toBeUndefined();
    expect(store.changesSince("4")).toEqual([]);
    store.compact("2");
    expect(store.compactRevision).toBe("4");
    store.compact("100");
    expect(store.compactRevision).toBe("4");
  });

  it("historyLimit auto-compacts the oldest changes", () => {
    const { store } = setup(3);
    fill(store, 5); // revisions 2..6
    expect(store.compactRevision).toBe("3");
    expect(store.changesSince("2")).toBeUndefined();
    expect(store.changesSince("3")?.map((c) => c.revision)).toEqual(["4", "5", "6"]);
  });

  it("historyLimit compacts whole revisions, never half a transaction", () => {
    const { store } = setup(3);
    store.put("/x", "1"); // 2
    store.put("/y", "1"); // 3
    store.delete("/x", "/y"); // 4: two changes
    store.put("/z", "1"); // 5
    store.put("/w", "1"); // 6: history would be [4, 4, 5, 6], so all of revision 4 goes
    expect(store.compactRevision).toBe("4");
    expect(store.changesSince("3")).toBeUndefined();
    expect(store.changesSince("4")?.map((c) => c.revision)).toEqual(["5", "6"]);
  });
});

describe("MemoryStore history under churn", () => {
  const fill = (store: MemoryStore, n: number) => {
    for (let i = 0; i < n; i++) store.put(`/k${i % 100}`, String(i));
  };

  it("trims its history past historyLimit in amortised constant work per write", () => {
    const { store } = setup(1_000);
    fill(store, 1_000);
    // Every array element the store filters or splices while writing: the work of its trims.
    let visited = 0;
    const filter = vi.spyOn(Array.prototype, "filter");
    const splice = vi.spyOn(Array.prototype, "splice");
    const count = (spy: typeof filter | typeof splice): void => {
      for (const context of spy.mock.contexts) visited += (context as unknown[]).length;
    };
    try {
      fill(store, 20_000);
    } finally {
      count(filter);
      count(splice);
      filter.mockRestore();
      splice.mockRestore();
    }
    expect(visited).toBeLessThan(3 * 20_000);
    expect(store.changesSince(String(Number(store.currentRevision) - 1_000))).toHaveLength(1_000);
    expect(store.changesSince(String(Number(store.currentRevision) - 1_001))).toBeUndefined();
  });
});

describe("MemoryStore availability", () => {
  it("refuses every call while unavailable, and announces the change", () => {
    const { store } = setup();
    const id = store.grant(10);
    const seen: boolean[] = [];
    store.availability$.subscribe((a) => seen.push(a));
    store.setAvailable(false);
    store.setAvailable(false);
    expect(store.isAvailable).toBe(false);
    for (const f of [
      () => store.put("/a", "1"),
      () => store.delete("/a"),
      () => store.range("/"),
      () => store.grant(1),
      () => store.keepAlive(id),
      () => store.revokeLease(id),
    ]) {
      expect(storeError(f).code).toBe("Unavailable");
    }
    store.setAvailable(true);
    expect(seen).toEqual([false, true]);
    expect(store.put("/a", "1")).toBe("2");
  });

  it("still expires leases while unavailable, as a server would", () => {
    const { store, advanceTo, batches } = setup();
    const id = store.grant(1);
    store.put("/a", "1", id);
    store.setAvailable(false);
    advanceTo(1000);
    store.setAvailable(true);
    expect(store.get("/a")).toBeUndefined();
    expect(store.keepAlive(id)).toBe(false);
    expect(batches.at(-1)).toEqual([{ type: "delete", key: "/a", revision: "3" }]);
  });
});
