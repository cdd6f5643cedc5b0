import { map, tap, type Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/core/index.js";
import { hosts, inst, keyOf, testScheduler, world } from "../support.js";

/** The error of a registration displaced from `key` by a newer one. */
const duplicateOf = (key: string): unknown =>
  expect.objectContaining({ _tag: "Duplicate", key, message: expect.stringContaining("now held by") });

const kinds = (events: Observable<RegistrationEvent>) => events.pipe(map((e) => e.type[0]));

describe("register", () => {
  it("writes the key under a lease and deletes it at once on unsubscribe", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { naming, store } = world(scheduler);
      const consumer = world(scheduler, { store }).naming;
      expectObservable(kinds(naming.register(inst("a"))), "^----!").toBe("r----");
      expectObservable(consumer.build("demo").instances$.pipe(map(hosts)), "^-------!").toBe("a----e--", {
        a: "a",
        e: "",
      });
    });
  });

  it("keeps the lease alive well past its TTL while subscribed", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store } = world(scheduler, { ttlSeconds: 3 });
      expectObservable(kinds(naming.register(inst("a"))), "^ 20s !").toBe("r");
      const seen: (string | undefined)[] = [];
      cold("10s x").subscribe(() => seen.push(store.get(keyOf("a"))));
      scheduler.flush();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toContain('"hostname":"host-a"'.replace("host-", ""));
    });
  });

  it("loses the lease when keep-alives stop, and the instance disappears with it", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store, link } = world(scheduler, { ttlSeconds: 3 });
      const consumer = world(scheduler, { store }).naming;
      // The registering client is cut off at 1s: the store stops hearing from it and expires the
      // lease a TTL later, at 4s. The consumer, on its own line, sees the instance go.
      cold("1s x").subscribe(() => link.cut());
      expectObservable(kinds(naming.register(inst("a"))), "^ 5s !").toBe("r");
      expectObservable(consumer.build("demo").instances$.pipe(map(hosts)), "^ 5s !").toBe("a 3999ms e", {
        a: "a",
        e: "",
      });
    });
  });

  it("re-grants a lost lease and writes the key again when the backend answers", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store, link } = world(scheduler, { ttlSeconds: 3 });
      const consumer = world(scheduler, { store }).naming;
      cold("1s x 5s y").subscribe((v) => (v === "x" ? link.cut() : link.restore()));
      // Cut at 1s, the lease expires at 4s; restored at 6s+1ms: the first keep-alive through finds
      // the lease gone, reports lost, and a new lease is granted and the key written at once.
      const events: RegistrationEvent[] = [];
      const registration = naming.register(inst("a")).pipe(tap((e) => events.push(e)));
      expectObservable(kinds(registration), "^ 10s !").toBe("r 6000ms (lr)");
      scheduler.schedule(() => {
        // Exactly the documented shapes (docs/registration.md); the lease ids differ.
        expect(events[1]).toEqual({ type: "lost", key: keyOf("a") });
        expect(events[2]).toMatchObject({ type: "registered", key: keyOf("a") });
        expect((events[2] as { leaseId: string }).leaseId).not.toBe(
          (events[0] as { leaseId: string }).leaseId,
        );
      }, 9_000);
      expectObservable(consumer.build("demo").instances$.pipe(map(hosts)), "^ 9s !").toBe(
        "a 3999ms e 2000ms a",
        {
          a: "a",
          e: "",
        },
      );
    });
  });

  it("ends at once with Duplicate when a newer registration (another naming) takes the key; the key stays the newer's", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store } = world(scheduler);
      const newer = world(scheduler, { store }).naming;
      cold("2s x").subscribe(() => newer.register(inst("a", { version: "new" })).subscribe());
      expectObservable(kinds(naming.register(inst("a"))), "^ 5s !").toBe(
        "r 1999ms #",
        undefined,
        duplicateOf(keyOf("a")),
      );
      scheduler.schedule(() => expect(store.get(keyOf("a"))).toContain('"version":"new"'), 3_000);
    });
  });

  it("does not take back, after a lost lease, a key that a newer registration took meanwhile", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store, link } = world(scheduler, { ttlSeconds: 3 });
      const newer = world(scheduler, { store }).naming;
      // Cut at 1s: the lease expires at 4s and the key goes. A newer registration writes the key
      // at 5s. Restored at 6s+1ms: the older learns of its loss, and its new lease finds the key
      // held by the newer one: it ends with Duplicate instead of writing over it.
      cold("1s x 5s y").subscribe((v) => (v === "x" ? link.cut() : link.restore()));
      cold("5s x").subscribe(() => newer.register(inst("a", { version: "new" })).subscribe());
      expectObservable(kinds(naming.register(inst("a"))), "^ 10s !").toBe(
        "r 6000ms (l#)",
        undefined,
        duplicateOf(keyOf("a")),
      );
      scheduler.schedule(() => expect(store.get(keyOf("a"))).toContain('"version":"new"'), 9_000);
    });
  });

  it("fails a second concurrent registration of the same key with Duplicate and leaves the first alone", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { naming, store } = world(scheduler);
      expectObservable(kinds(naming.register(inst("a"))), "^-----!").toBe("r-----");
      const second = naming.register(inst("a"));
      let error: unknown;
      scheduler.schedule(() => second.subscribe({ error: (e: unknown) => (error = e) }), 2);
      scheduler.schedule(() => {
        expect(error).toMatchObject({ _tag: "Duplicate", key: keyOf("a") });
        expect(store.get(keyOf("a"))).toBeDefined();
      }, 4);
    });
  });

  it("allows the same key again once the first registration ended", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { naming } = world(scheduler);
      expectObservable(kinds(naming.register(inst("a"))), "^-!").toBe("r-");
      expectObservable(kinds(naming.register(inst("a"))), "---^-!").toBe("---r-");
    });
  });

  it("updates the stored value in place for every emission of an Observable<Instance>", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store } = world(scheduler);
      const consumer = world(scheduler, { store }).naming;
      const source = cold("a-b", {
        a: inst("a", { metadata: { color: "a" } }),
        b: inst("a", { metadata: { color: "b" } }),
      });
      expectObservable(
        naming.register(source).pipe(map((e) => `${e.type[0]}${"leaseId" in e ? e.leaseId : ""}`)),
        "^----!",
      ).toBe("x-y", { x: "r1", y: "u1" });
      expectObservable(
        consumer
          .build("demo")
          .instances$.pipe(map((i) => i.instances.map((x) => x.metadata.color ?? "-").join())),
        "-^--!",
      ).toBe("-ab", { a: "a", b: "b" });
    });
  });

  it("fails when an Observable<Instance> changes its hostname", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming } = world(scheduler);
      const source = cold("a-b", { a: inst("a"), b: inst("b") });
      expectObservable(kinds(naming.register(source))).toBe(
        "r-#",
        undefined,
        expect.objectContaining({ _tag: "InvalidInstance", field: "appId/hostname" }),
      );
    });
  });

  it("rejects an invalid instance with InvalidInstance naming the field", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { naming } = world(scheduler);
      expectObservable(kinds(naming.register({ ...inst("a"), hostname: "a b" }))).toBe(
        "#",
        undefined,
        expect.objectContaining({ _tag: "InvalidInstance", field: "hostname" }),
      );
    });
  });

  it("ends every registration on close(), deleting the keys", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const { naming, store } = world(scheduler);
      const consumer = world(scheduler, { store }).naming;
      cold("---x").subscribe(() => void naming.close());
      expectObservable(kinds(naming.register(inst("a")))).toBe("r--|");
      expectObservable(kinds(naming.register(inst("b")))).toBe("r--|");
      expectObservable(consumer.build("demo").instances$.pipe(map(hosts)), "^-----!").toBe("x--(be)", {
        x: "a,b",
        b: "b",
        e: "",
      });
    });
  });

  it("leaves the scheduler nothing to run while registrations and watches are simply held", () => {
    // Keep-alive ticks would make TestScheduler.run flush forever with a registration open.
    const scheduler = testScheduler();
    scheduler.maxFrames = 1_000_000;
    const { naming, store } = world(scheduler, { ttlSeconds: 3 });
    const held = naming.register(inst("a")).subscribe();
    const watched = naming.build("demo").instances$.subscribe();
    scheduler.flush();
    expect(scheduler.actions).toHaveLength(0);
    expect(store.get(keyOf("a"))).toBeDefined();
    held.unsubscribe();
    watched.unsubscribe();
    scheduler.flush();
    expect(scheduler.actions).toHaveLength(0);
    expect(store.get(keyOf("a"))).toBeUndefined();
  });
});
