import { map, of } from "rxjs";
import { describe, it } from "vitest";
import {
  addrs,
  buildOptions,
  filterInstances,
  instanceChanges,
  preferZone,
  subset,
} from "../../src/operators/index.js";
import { info, inst, scheduler } from "./fixtures.js";

const a1 = inst("a", { zone: "z1", env: "prod" });
const b2 = inst("b", { zone: "z2", env: "dev" });
const b2v2 = inst("b", { zone: "z2", env: "dev", version: "v2" });
const c1 = inst("c", { zone: "z1", env: "prod" });

const hostnames = map((s: { instances: readonly { hostname: string }[] }) =>
  s.instances.map((i) => i.hostname).join(","),
);

describe("instance-set operators (marbles)", () => {
  it("filterInstances emits per set, skipping a set whose result is unchanged", () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a-b-c-d-|", {
        a: info([a1, b2], "1"),
        b: info([a1, b2v2], "2"), // only a filtered-out instance changed
        c: info([a1, b2v2, c1], "3"),
        d: info([b2v2], "4"),
      });
      expectObservable(source.pipe(filterInstances({ env: "prod" }), hostnames)).toBe("a---c-d-|", {
        a: "a",
        c: "a,c",
        d: "",
      });
      expectSubscriptions(source.subscriptions).toBe("^-------!");
    });
  });

  it("preferZone switches to every zone when the local one empties, and back", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold("a-b-c-d", {
        a: info([a1, b2]),
        b: info([a1, b2v2]),
        c: info([b2v2]),
        d: info([b2v2, c1]),
      });
      expectObservable(source.pipe(preferZone("z1"), hostnames)).toBe("a---c-d", { a: "a", c: "b", d: "c" });
    });
  });

  it("subset emits nothing when an instance outside the subset changes", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const hosts = Array.from({ length: 8 }, (_, k) => inst(`h${k}`));
      const once = info(hosts);
      // One instance outside client "x"'s subset of 2 (rendezvous: the lowest-ranked is never in it).
      let chosen = "";
      of(once)
        .pipe(subset(2, "x"), hostnames)
        .subscribe((h) => (chosen = h));
      const outside = hosts.find((i) => !chosen.split(",").includes(i.hostname))!;
      const changed = info(
        hosts.map((i) => (i === outside ? inst(i.hostname, { version: "v2" }) : i)),
        "2",
      );
      const source = cold("a-b-a", { a: once, b: changed });
      expectObservable(
        source.pipe(
          subset(2, "x"),
          map(() => "s"),
        ),
      ).toBe("s----");
    });
  });

  it("instanceChanges emits the first set as added, then only real changes", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold("a-b-c-d", {
        a: info([a1, b2], "1"),
        b: info([a1, b2], "2"), // same instances, new revision
        c: info([a1, b2v2, c1], "3"),
        d: info([], "4"),
      });
      const summary = source.pipe(
        instanceChanges(),
        map((c) =>
          [c.added, c.removed, c.updated].map((list) => list.map((i) => i.hostname).join("")).join("/"),
        ),
      );
      expectObservable(summary).toBe("a---c-d", { a: "ab//", c: "c//b", d: "/abc/" });
    });
  });

  it("instanceChanges keeps a previous set per subscription", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold("a-b", { a: info([a1]), b: info([a1, c1]) });
      const changes = source.pipe(
        instanceChanges(),
        map((c) => c.added.map((i) => i.hostname).join("")),
      );
      expectObservable(changes).toBe("a-b", { a: "a", b: "c" });
      expectObservable(changes).toBe("a-b", { a: "a", b: "c" });
    });
  });

  it("addrs skips a set whose addresses did not change", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold("a-b-c", {
        a: info([a1, b2]),
        b: info([a1, b2v2]),
        c: info([a1]),
      });
      expectObservable(source.pipe(addrs("grpc"))).toBe("a---c", {
        a: ["a:9000", "b:9000"],
        c: ["a:9000"],
      });
    });
  });

  it("buildOptions composes in one subscription to the source", () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a-b-|", { a: info([a1, b2, c1]), b: info([b2]) });
      expectObservable(
        source.pipe(
          buildOptions({ filter: { env: "prod" }, zone: "z1", subset: { size: 5, clientId: "x" } }),
          hostnames,
        ),
      ).toBe("a-b-|", { a: "a,c", b: "" });
      expectSubscriptions(source.subscriptions).toBe("^---!");
    });
  });
});
