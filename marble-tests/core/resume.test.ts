import { map } from "rxjs";
import { describe, expect, it } from "vitest";
import type { NamingError } from "../../src/model/index.js";
import { hosts, keyOf, testScheduler, valueOf, world } from "../support.js";

describe("a broken watch", () => {
  it("never errors: it reports, keeps replaying the last set, and resumes from the last revision", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { naming, store, link, watches } = world(scheduler);
      const errors: NamingError[] = [];
      naming.errors$.subscribe((e) => errors.push(e));
      store.put(keyOf("a"), valueOf("a"));
      // Cut at 2; a change at 4 while cut; restored at 6, where the next retry (1 ms backoff) gets through.
      cold("--c-w-r").subscribe((step) => {
        if (step === "c") link.cut();
        if (step === "w") store.put(keyOf("b"), valueOf("b"));
        if (step === "r") link.restore();
      });
      const info$ = naming.build("demo").instances$;
      expectObservable(info$.pipe(map(hosts)), "^---------!").toBe("a-----x---", { a: "a", x: "a,b" });
      // A late subscriber during the outage still gets the last known set at once.
      expectObservable(info$.pipe(map(hosts)), "----^-!").toBe("----a--", { a: "a" });
      scheduler.schedule(() => {
        // The first watch broke at 2; retries failed at once while cut; the one at 6 held.
        expect(watches[0]).toEqual({ subscribedFrame: 0, unsubscribedFrame: 2 });
        expect(watches.at(-1)).toEqual({ subscribedFrame: 6, unsubscribedFrame: Infinity });
        expect(watches.slice(1, -1).every((w) => w.subscribedFrame === w.unsubscribedFrame)).toBe(true);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]).toMatchObject({ _tag: "Backend", recoverable: true });
      }, 8);
    });
  });

  it("resumes with batches only, applying each change once", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { naming, store, link } = world(scheduler);
      store.put(keyOf("a"), valueOf("a"));
      cold("-c-xyz-r").subscribe((step) => {
        if (step === "c") link.cut();
        if (step === "x") store.put(keyOf("b"), valueOf("b"));
        if (step === "y") store.delete(keyOf("a"));
        if (step === "z") store.put(keyOf("c"), valueOf("c"));
        if (step === "r") link.restore();
      });
      // After the restore the three missed changes come as three batches: three emissions at once.
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "^---------!").toBe("a------(xyz)", {
        a: "a",
        x: "a,b",
        y: "b",
        z: "b,c",
      });
    });
  });

  it("re-reads the set when its revision was compacted, and emits the difference as one set", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { naming, store, link } = world(scheduler);
      store.put(keyOf("a"), valueOf("a"));
      store.put(keyOf("b"), valueOf("b"));
      cold("-c-xyz-r").subscribe((step) => {
        if (step === "c") link.cut();
        if (step === "x") store.put(keyOf("c"), valueOf("c"));
        if (step === "y") store.delete(keyOf("a"));
        if (step === "z") store.compact();
        if (step === "r") link.restore();
      });
      const seen: (readonly unknown[])[] = [];
      const info$ = naming.build("demo").instances$;
      info$.subscribe((i) => seen.push(i.instances));
      expectObservable(info$.pipe(map(hosts)), "^---------!").toBe("x------y--", { x: "a,b", y: "b,c" });
      scheduler.schedule(() => {
        // "b" did not change across the re-read: same object.
        expect(seen).toHaveLength(2);
        expect(seen[1]![0]).toBe(seen[0]![1]);
      }, 9);
    });
  });
});
