import { map, Observable, ReplaySubject, tap } from "rxjs";
import { describe, expect, it } from "vitest";
import { memoryBackend, MemoryStore } from "../../src/backends/memory/index.js";
import { createNaming, type RegistrationEvent } from "../../src/core/index.js";
import { backendError, type NamingError } from "../../src/model/index.js";
import { buildOptions, type BuildOptions } from "../../src/operators/build-options.js";
import type { Backend, Lease } from "../../src/port/index.js";
import { inst, testScheduler, world } from "../support.js";

/** A backend whose every lease is lost as soon as a key is written under it. */
const droppingBackend = (store: MemoryStore): { backend: Backend; grants: () => number } => {
  const inner = memoryBackend({ store });
  let grants = 0;
  const backend: Backend = {
    ...inner,
    grant: (ttl) =>
      new Observable<Lease>((subscriber) => {
        // A guard, not an expectation: without backoff the loop is synchronous and endless.
        if (++grants > 5_000) throw new Error("grant loop: 5,000 grants");
        return inner
          .grant(ttl)
          .pipe(
            map((lease): Lease => {
              const lost = new ReplaySubject<NamingError>(1);
              return {
                id: lease.id,
                lost$: lost,
                displaced$: lease.displaced$,
                put: (key, value, takeFrom) =>
                  lease.put(key, value, takeFrom).pipe(
                    tap({
                      complete: () =>
                        lost.next(backendError("keep-alive", new Error("dropped"), { recoverable: true })),
                    }),
                  ),
                revoke: () => lease.revoke(),
              };
            }),
          )
          .subscribe(subscriber);
      }),
  };
  return { backend, grants: () => grants };
};

describe("a backend that keeps dropping leases", () => {
  it("is answered with a growing backoff between grants, not a tight loop, and errors$ says so", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold }) => {
      const store = new MemoryStore({ scheduler });
      const { backend, grants } = droppingBackend(store);
      const naming = createNaming<BuildOptions>(backend, { ttlSeconds: 3, pipeline: buildOptions });
      const errors: NamingError[] = [];
      naming.errors$.subscribe((e) => errors.push(e));
      const events: RegistrationEvent[] = [];
      const sub = naming.register(inst("a")).subscribe((e) => events.push(e));
      cold("10s x").subscribe(() => sub.unsubscribe());
      scheduler.flush();
      // 100 ms doubling to 1 s between grants after the second loss: about 14 grants in 10 s.
      expect(grants()).toBeGreaterThanOrEqual(8);
      expect(grants()).toBeLessThanOrEqual(25);
      expect(events.filter((e) => e.type === "registered")).toHaveLength(grants());
      expect(events.filter((e) => e.type === "lost")).toHaveLength(grants());
      expect(errors.some((e) => /lost \d+ times in a row; granting again in \d+ ms/.test(e.message))).toBe(
        true,
      );
    });
  });
});

describe("close(), one rule", () => {
  it("fails every registration subscribed after close with Closed, whenever it was made", async () => {
    const { naming } = world(testScheduler());
    const before = naming.register(inst("a"));
    await naming.close();
    const after = naming.register(inst("b"));
    for (const registration of [before, after]) {
      const error = await new Promise<unknown>((resolve) =>
        registration.subscribe({ error: resolve, complete: () => resolve("completed") }),
      );
      expect(error).toMatchObject({ _tag: "Closed" });
    }
  });

  it("fails the streams of every resolver subscribed after close with Closed, and fetch with a Closed Left", async () => {
    const { naming } = world(testScheduler());
    const before = naming.build("demo");
    await naming.close();
    const after = naming.build("demo");
    for (const resolver of [before, after]) {
      const error = await new Promise<unknown>((resolve) =>
        resolver.instances$.subscribe({ error: resolve, complete: () => resolve("completed") }),
      );
      expect(error).toMatchObject({ _tag: "Closed" });
      const fetched = await resolver.fetch()();
      expect(fetched).toMatchObject({ _tag: "Left", left: { _tag: "Closed" } });
    }
  });

  it("completes the streams open at close", async () => {
    const { naming } = world(testScheduler());
    let completed = 0;
    naming.build("demo").instances$.subscribe({ complete: () => completed++ });
    naming.register(inst("a")).subscribe({ complete: () => completed++ });
    await naming.close();
    expect(completed).toBe(2);
  });
});

describe("the naming's apps", () => {
  it("forgets an app once its watch has ended after the linger", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold }) => {
      const { naming } = world(scheduler, { lingerMs: 1_000 });
      const subs = Array.from({ length: 100 }, (_, n) => naming.build(`app${n}`).instances$.subscribe());
      expect(naming.apps()).toHaveLength(100);
      for (const s of subs) s.unsubscribe();
      const seen: number[] = [];
      cold("500ms x 999ms y").subscribe(() => seen.push(naming.apps().length));
      scheduler.flush();
      // Lingering at 500 ms, gone after 1 s.
      expect(seen).toEqual([100, 0]);
    });
  });

  it("a resolver that outlived its app's watch joins the new one: still one backend watch", () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold }) => {
      const { naming, watches } = world(scheduler, { lingerMs: 0 });
      const old = naming.build("demo");
      old.instances$.subscribe().unsubscribe();
      cold("1s x").subscribe(() => {
        old.instances$.subscribe();
        naming.build("demo").instances$.subscribe();
      });
      scheduler.flush();
      expect(watches.filter((w) => w.unsubscribedFrame === Infinity)).toHaveLength(1);
    });
  });
});

describe("appIds a layout cannot hold", () => {
  it("are rejected with InvalidInstance at register and at build (kratos-v1 and '/')", async () => {
    const { naming } = world(testScheduler());
    const registered = await new Promise<unknown>((resolve) =>
      naming.register(inst("a", { appId: "svc/echo" })).subscribe({ error: resolve }),
    );
    expect(registered).toMatchObject({ _tag: "InvalidInstance", field: "appId" });
    expect((registered as Error).message).toMatch(/kratos-v1/);
    const built = await naming.build("svc/echo").fetch()();
    expect(built).toMatchObject({ _tag: "Left", left: { _tag: "InvalidInstance", field: "appId" } });
  });
});
