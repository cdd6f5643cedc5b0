import * as O from "fp-ts/lib/Option.js";
import { map, tap } from "rxjs";
import { describe, it } from "vitest";
import { p2c, roundRobin, type Picker } from "../../src/balancers/index.js";
import { info, inst, scheduler } from "./fixtures.js";

/** The sorted hostnames a picker reaches (its picks reported not sent). */
const reach = (picker: Picker): string => {
  const seen = new Set<string>();
  for (let k = 0; k < 60; k++) {
    const choice = picker.pick();
    if (O.isNone(choice)) return "none";
    seen.add(choice.value.instance.hostname);
    choice.value.done({ notSent: true });
  }
  return [...seen].sort().join(",");
};

/** Reports `times` failed requests of `host` picked from `picker`, as a client would. */
const failOn = (picker: Picker, host: string, times: number): void => {
  for (let k = 0, failed = 0; k < 1_000 && failed < times; k++) {
    const choice = picker.pick();
    if (O.isNone(choice)) return;
    if (choice.value.instance.hostname === host) {
      choice.value.done({ error: new Error("refused") });
      failed++;
    } else choice.value.done({ notSent: true });
  }
};

describe("traffic safety (marbles)", () => {
  it("emits a picker without an ejected instance at once, and one with it when its time is up", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const sets = cold("a", { a: info([inst("a"), inst("b"), inst("c")]) });
      let latest: Picker | undefined;
      const pickers = sets.pipe(
        roundRobin({ ejection: { consecutiveFailures: 2, baseEjectionMs: 10 } }),
        tap((picker) => (latest = picker)),
        map(reach),
      );
      // At frame 2 a client reports two failed requests of b: b is out at once, back at frame 12.
      cold("--f").subscribe(() => failOn(latest!, "b", 2));
      expectObservable(pickers).toBe("a-b 9ms c", { a: "a,b,c", b: "a,c", c: "a,b,c" });
    });
  });

  it("ramps a joiner up in steps and emits nothing once the ramp is done", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const sets = cold("a 99ms b", {
        a: info([inst("a"), inst("b")]),
        b: info([inst("a"), inst("b"), inst("c")], "2"),
      });
      // slowStartMs 20 ms: the joiner's picker at 10%, one per 1 ms step, the last at its full
      // share (frame 120), then none.
      const steps = sets.pipe(
        p2c({ slowStartMs: 20, ejection: false }),
        map(() => "p"),
      );
      expectObservable(steps).toBe(`p 99ms ${"p".repeat(21)}`, { p: "p" });
    });
  });
});
