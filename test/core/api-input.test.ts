import * as E from "fp-ts/lib/Either.js";
import { firstValueFrom, of } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  instance,
  isNamingError,
  memoryNaming,
  p2c,
  random,
  ringHash,
  roundRobin,
  subset,
  weightedRoundRobin,
  type Instance,
} from "../../src/index.js";
import { MemoryLink, MemoryStore } from "../../src/testing/index.js";
import { kratosV1Layout } from "../../src/backends/layouts/index.js";
import { testInstance } from "../../src/testing/index.js";
import { info, inst } from "../fixtures.js";

/** What a new user tries: wrong input at every public entry, each answered with a NamingError. */
describe("bad input at the API", () => {
  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a string", "demo"],
    ["an array", []],
  ])("instance(%s) is a Left naming the input, not a throw", (_label, input) => {
    const result = instance(input as never);
    expect(E.isLeft(result)).toBe(true);
    if (E.isLeft(result)) {
      expect(result.left).toMatchObject({ _tag: "InvalidInstance", field: "instance" });
      expect(result.left.message).toMatch(/must be an object/);
    }
  });

  it("register(null) errors with InvalidInstance, not a Backend error wrapping a TypeError", async () => {
    const naming = memoryNaming();
    const error = await firstValueFrom(naming.register(null as never)).catch((e: unknown) => e);
    expect(error).toMatchObject({ _tag: "InvalidInstance", field: "instance" });
    await naming.close();
  });

  it("wrong options of namings, operators and balancers are InvalidOption NamingErrors naming the option", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => memoryNaming({ ttlSeconds: 0 }), /ttlSeconds/],
      [() => memoryNaming({ ttlSeconds: 1.5 }), /ttlSeconds/],
      [() => memoryNaming({ lingerMs: -1 }), /lingerMs/],
      [() => memoryNaming({ fetchTimeoutMs: 0 }), /fetchTimeoutMs/],
      [() => memoryNaming({ prefix: "a b" }), /prefix/],
      [() => kratosV1Layout(""), /prefix/],
      [() => subset(0, "client"), /subset size/],
      [() => ringHash({ replicas: -1 }), /replicas/],
      [() => weightedRoundRobin({ defaultWeight: 0 }), /defaultWeight/],
    ];
    for (const [make, option] of cases) {
      let thrown: unknown;
      try {
        make();
      } catch (e) {
        thrown = e;
      }
      expect(isNamingError(thrown), String(option)).toBe(true);
      expect(thrown).toMatchObject({ _tag: "InvalidOption" });
      expect((thrown as Error).message).toMatch(option);
    }
  });

  it("an address without scheme:// is rejected naming it, and no picker hands out a piece of it", () => {
    const result = instance({ appId: "demo", hostname: "h", addrs: ["unix:/run/app.sock"] });
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "InvalidInstance", field: "addrs[0]" } });
    if (E.isLeft(result)) expect(result.left.message).toMatch(/scheme:\/\/host:port/);
    // "unix:///run/app.sock" is a socket in URL form: valid, and no picker invents an address from it.
    const socket = inst("s", { addrs: ["unix:///run/app.sock"] });
    for (const balancer of [roundRobin(), random(), weightedRoundRobin(), p2c(), ringHash()]) {
      let picked: string | undefined;
      of(info([socket]))
        .pipe(balancer)
        .subscribe((picker) => {
          const choice = picker.pick();
          picked = choice._tag === "Some" ? choice.value.addr : undefined;
        });
      expect(picked).toBe("");
    }
  });
});

describe("fetch()", () => {
  it("ends with a Backend error after fetchTimeoutMs while the backend is unreachable, as Kratos' Fetch(ctx)", async () => {
    const store = new MemoryStore();
    const link = new MemoryLink();
    link.cut();
    const naming = memoryNaming({ store, link, fetchTimeoutMs: 200 });
    const started = Date.now();
    const result = await naming.build("demo").fetch()();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "Backend" } });
    if (E.isLeft(result)) expect(result.left.message).toMatch(/no set of demo within 200 ms/);
    await naming.close();
  });

  it("answers once the backend is back within the deadline", async () => {
    const store = new MemoryStore();
    const link = new MemoryLink();
    link.cut();
    const naming = memoryNaming({ store, link, fetchTimeoutMs: 5_000 });
    const outageMs = 100;
    setTimeout(() => link.restore(), outageMs);
    const result = await naming.build("demo").fetch()();
    expect(result).toMatchObject({ _tag: "Right", right: { appId: "demo", instances: [] as Instance[] } });
    await naming.close();
  });

  it("can be awaited directly: `await fetch()` gives the Either, not the task", async () => {
    const naming = memoryNaming();
    const sub = naming.register(testInstance({ appId: "demo", hostname: "h1" })).subscribe();
    const awaited: unknown = await naming.build("demo").fetch();
    expect(awaited).toMatchObject({
      _tag: "Right",
      right: { appId: "demo", instances: [{ hostname: "h1" }] },
    });
    // Still a TaskEither: fp-ts combinators and fetch()() work as before, and each run reads anew.
    const task = naming.build("demo").fetch();
    expect(typeof task).toBe("function");
    expect(await task()).toEqual(awaited);
    sub.unsubscribe();
    await naming.close();
  });

  it("awaited after close, is a Closed Left rather than a rejection", async () => {
    const naming = memoryNaming();
    const resolver = naming.build("demo");
    await naming.close();
    expect(await resolver.fetch()).toMatchObject({ _tag: "Left", left: { _tag: "Closed" } });
  });
});
