import { map } from "rxjs";
import { describe, expect, it } from "vitest";
import { hosts, keyOf, testScheduler, valueOf, world } from "../support.js";

describe("shared watch per appid", () => {
  it("makes one backend watch for many subscribers over several build() calls", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { naming, store, watches } = world(scheduler, { lingerMs: 0 });
      store.put(keyOf("a"), valueOf("a"));
      cold("---x|").subscribe(() => store.put(keyOf("b"), valueOf("b")));
      const r1 = naming.build("demo");
      const r2 = naming.build("demo");
      const r3 = naming.build("demo");
      const sub1 = "  ^-------!";
      const sub2 = "  --^---------!";
      const sub3 = "  -^-----!";
      expectObservable(r1.instances$.pipe(map(hosts)), sub1).toBe("a--(x)----", { a: "a", x: "a,b" });
      expectObservable(r2.instances$.pipe(map(hosts)), sub2).toBe("--a(x)-------", { a: "a", x: "a,b" });
      expectObservable(r3.instances$.pipe(map(hosts)), sub3).toBe("-a-(x)---", { a: "a", x: "a,b" });
      // One backend watch, from the first subscriber to the last unsubscribe.
      expectSubscriptions(watches).toBe("^-----------!");
    });
  });

  it("gives a late subscriber the latest set at once", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { naming, store, watches } = world(scheduler);
      cold("-x").subscribe(() => store.put(keyOf("a"), valueOf("a")));
      const early = naming.build("demo").instances$;
      expectObservable(early.pipe(map(hosts)), "^------!").toBe("ea-----", { e: "", a: "a" });
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "-----^-!").toBe("-----a-", {
        a: "a",
      });
      expectSubscriptions(watches).toBe("^------!");
    });
  });

  it("lingers after the last subscriber, then cancels the backend watch", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, expectSubscriptions }) => {
      const { naming, watches } = world(scheduler, { lingerMs: 5 });
      const resolver = naming.build("demo");
      expectObservable(resolver.instances$.pipe(map(hosts)), "^--!").toBe("e--", { e: "" });
      // Back within the linger: the same watch, no new backend subscription.
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "-----^-!").toBe("-----e-", {
        e: "",
      });
      // After the second leaves at 7, the watch lingers 5 frames and ends at 12.
      expectSubscriptions(watches).toBe("^-----------!");
    });
  });

  it("starts a fresh watch after the linger has passed", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, expectSubscriptions }) => {
      const { naming, watches } = world(scheduler, { lingerMs: 2 });
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "^!").toBe("e", { e: "" });
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "-----^!").toBe("-----e", { e: "" });
      expectSubscriptions(watches).toBe(["^--!", "-----^--!"]);
    });
  });

  it("emits once per backend batch and not for a batch that changes nothing", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { naming, store } = world(scheduler);
      store.put(keyOf("a"), valueOf("a"));
      cold("-x-y-z").subscribe((step) => {
        if (step === "x") store.put(keyOf("a"), valueOf("a")); // same value: no change
        if (step === "y") store.delete(keyOf("a"), keyOf("nothing")); // one transaction
        if (step === "z") store.put(keyOf("other", "demo2"), valueOf("other", { appId: "demo2" }));
      });
      expectObservable(naming.build("demo").instances$.pipe(map(hosts)), "^------!").toBe("a--e---", {
        a: "a",
        e: "",
      });
    });
  });

  it("keeps the object identity of instances that did not change", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold }) => {
      const { naming, store } = world(scheduler);
      store.put(keyOf("a"), valueOf("a"));
      store.put(keyOf("b"), valueOf("b"));
      cold("-x").subscribe(() => store.put(keyOf("b"), valueOf("b", { zone: "z2" })));
      const seen: (readonly unknown[])[] = [];
      naming.build("demo").instances$.subscribe((info) => seen.push(info.instances));
      scheduler.flush();
      expect(seen).toHaveLength(2);
      expect(seen[1]![0]).toBe(seen[0]![0]);
      expect(seen[1]![1]).not.toBe(seen[0]![1]);
    });
  });

  it("completes every instances$ on close()", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { naming, watches } = world(scheduler, { lingerMs: 100 });
      cold("---x").subscribe(() => void naming.close());
      expectObservable(naming.build("demo").instances$.pipe(map(hosts))).toBe("e--|", { e: "" });
      expectObservable(naming.build("other").instances$.pipe(map(hosts)), "-^").toBe("-e-|", { e: "" });
      expectSubscriptions(watches).toBe(["^--!", "-^-!"]);
    });
  });

  it("leaves no backend watch when a subscriber closes the naming inside the first set", () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectSubscriptions }) => {
      const { naming, store, watches } = world(scheduler, { lingerMs: 100 });
      store.put(keyOf("a"), valueOf("a"));
      const seen: string[] = [];
      naming.build("demo").instances$.subscribe({
        next: (info) => {
          seen.push(hosts(info));
          void naming.close();
        },
        complete: () => seen.push("|"),
      });
      expectSubscriptions(watches).toBe("(^!)");
      scheduler.flush();
      expect(seen).toEqual(["a", "|"]);
    });
  });

  it("a closed resolver completes its subscribers, and a later one at once; the app's watch goes on", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { naming, watches } = world(scheduler);
      const plain = naming.build("demo");
      const piped = naming.build("demo", { filter: () => true });
      const other = naming.build("demo");
      cold("--x").subscribe(() => {
        void plain.close();
        void piped.close();
      });
      const e = { e: "" };
      expectObservable(plain.instances$.pipe(map(hosts))).toBe("e-|", e);
      expectObservable(piped.instances$.pipe(map(hosts))).toBe("e-|", e);
      expectObservable(plain.instances$.pipe(map(hosts)), "----^").toBe("----|");
      expectObservable(piped.instances$.pipe(map(hosts)), "----^").toBe("----|");
      expectObservable(other.instances$.pipe(map(hosts)), "^-----!").toBe("e-----", e);
      expectSubscriptions(watches).toBe("^-----!");
    });
  });
});
