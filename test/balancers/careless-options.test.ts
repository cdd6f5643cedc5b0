import * as O from "fp-ts/lib/Option.js";
import { describe, expect, it } from "vitest";
import {
  p2c,
  random,
  ringHash,
  roundRobin,
  weightedRoundRobin,
  type Picker,
} from "../../src/balancers/index.js";
import { isNamingError, type NamingError } from "../../src/model/index.js";
import { drive, info, inst } from "./fixtures.js";

/** The NamingError `f` throws (a test failure when it throws something else or nothing). */
const thrown = (f: () => unknown): NamingError => {
  try {
    f();
  } catch (error) {
    if (isNamingError(error)) return error;
    throw new Error(`expected a NamingError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a NamingError, nothing was thrown");
};

const callAny = (f: unknown, ...args: unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);

describe("careless balancer options are an InvalidOption naming the option", () => {
  it.each([
    ["roundRobin(null)", () => callAny(roundRobin, null), "roundRobin options"],
    ["roundRobin(123)", () => callAny(roundRobin, 123), "roundRobin options"],
    ["roundRobin({ addrScheme: 5 })", () => callAny(roundRobin, { addrScheme: 5 }), "roundRobin addrScheme"],
    ['p2c("x")', () => callAny(p2c, "x"), "p2c options"],
    ["p2c({ now: 5 })", () => callAny(p2c, { now: 5 }), "p2c now"],
    ["p2c({ decayMs: -1 })", () => callAny(p2c, { decayMs: -1 }), "p2c decayMs"],
    ["p2c({ decayMs: 0 })", () => callAny(p2c, { decayMs: 0 }), "p2c decayMs"],
    ["p2c({ scheduler: {} })", () => callAny(p2c, { scheduler: {} }), "p2c scheduler"],
    ["p2c({ ejection: 5 })", () => callAny(p2c, { ejection: 5 }), "p2c ejection options"],
    [
      "p2c({ ejection: { failureRate: { threshold: 0 } } })",
      () => callAny(p2c, { ejection: { failureRate: { threshold: 0 } } }),
      "p2c ejection.failureRate.threshold",
    ],
    ['p2c({ decayMs: "600" })', () => callAny(p2c, { decayMs: "600" }), "p2c decayMs"],
    ["random({ random: 1 })", () => callAny(random, { random: 1 }), "random random"],
    ["weightedRoundRobin(null)", () => callAny(weightedRoundRobin, null), "weightedRoundRobin options"],
    ["ringHash({ replicas: 1e8 })", () => ringHash({ replicas: 1e8 }), "ringHash replicas"],
    ["ringHash({ replicas: 1.5 })", () => ringHash({ replicas: 1.5 }), "ringHash replicas"],
  ])("%s", (_, f, option) => {
    const error = thrown(f);
    expect(error._tag).toBe("InvalidOption");
    expect(error.field).toBe(option);
    expect(error.message).toContain(option);
  });

  it("says it got a string where a number is expected", () => {
    expect(thrown(() => callAny(p2c, { decayMs: "600" })).message).toContain("got a string");
  });

  it("names an unknown key and the closest known one", () => {
    const error = thrown(() => callAny(p2c, { decayMS: 600 }));
    expect(error.field).toBe("p2c decayMS");
    expect(error.message).toContain('did you mean "decayMs"');
    expect(thrown(() => callAny(ringHash, { replica: 8 })).message).toContain('did you mean "replicas"');
    const nested = thrown(() => callAny(roundRobin, { ejection: { failureRate: { treshold: 0.5 } } }));
    expect(nested.field).toBe("roundRobin ejection.failureRate treshold");
    expect(nested.message).toContain('did you mean "threshold"');
  });

  it("ringHash's pick({ hashKey: null }) is an InvalidOption naming hashKey", () => {
    const d = drive(ringHash({ replicas: 8 }));
    d.push(info([inst("a"), inst("b")]));
    const error = thrown(() => d.picker.pick({ hashKey: null as unknown as string }));
    expect(error._tag).toBe("InvalidOption");
    expect(error.field).toBe("ringHash pick hashKey");
  });
});

describe("a user-supplied random or clock that misbehaves is guarded", () => {
  const picks = (picker: Picker, n: number) =>
    Array.from({ length: n }, () => {
      const choice = picker.pick();
      expect(O.isSome(choice)).toBe(true);
      if (O.isSome(choice)) choice.value.done({ latencyMs: 1 });
      return choice;
    });

  it.each([
    ["random: () => 2", () => 2],
    ["random: () => 1", () => 1],
    ["random: () => -0.5", () => -0.5],
    ["random: () => NaN", () => NaN],
  ])("random() with %s still picks an instance", (_, rnd) => {
    const d = drive(random({ random: rnd }));
    d.push(info([inst("a"), inst("b"), inst("c")]));
    picks(d.picker, 10);
  });

  it.each([
    ["random: () => NaN", { random: () => NaN }],
    ["random: () => 7", { random: () => 7 }],
    ["now: () => NaN", { now: () => NaN }],
    ["now: () => Infinity", { now: () => Infinity }],
  ])("p2c with %s picks and learns without throwing", (_, options) => {
    const d = drive(p2c(options));
    d.push(info([inst("a"), inst("b"), inst("c")]));
    picks(d.picker, 50);
  });
});
