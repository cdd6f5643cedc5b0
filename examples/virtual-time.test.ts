import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { expect, it } from "vitest";
import { testInstance, testNaming } from "rxnaming/testing";

it("a registration cut off from the store for longer than its TTL is lost, then registered again", () => {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(({ cold, expectObservable }) => {
    const { naming, link } = testNaming(scheduler, { ttlSeconds: 3 });
    // The link to the store is cut at 1 s for 5 s: the store lets the 3 s lease go meanwhile, and
    // when the link is back the registration says so and registers again, all at 6 s.
    cold("1s a 5s b").subscribe((step) => (step === "a" ? link.cut() : link.restore()));
    const events = naming.register(testInstance({ appId: "demo", hostname: "h1" })).pipe(map((e) => e.type));
    expectObservable(events, "^ 10s !").toBe("a 6s (bc)", { a: "registered", b: "lost", c: "registered" });
  });
});
