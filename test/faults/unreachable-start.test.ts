// register and instances$ started while etcd is not running yet: they report on
// errors$, retry with capped, jittered backoff (no spinning), and work as soon as etcd is up.
import { afterEach, describe, expect, it } from "vitest";
import { holdFor, prepareEtcd, useHarnessCleanup, waitFor } from "../harness/index.js";
import { ErrorLog, EtcdWorld, freshApp, inst, putInstance, Recorder, RegistrationLog } from "./support.js";

useHarnessCleanup();

describe("etcd unreachable at start", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("reports on errors$ while etcd is down and works as soon as it is up", async () => {
    const etcd = await prepareEtcd();
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("late");
    const naming = world.naming({ ttlSeconds: 3 });
    const errors = new ErrorLog(naming);
    const recorder = new Recorder(naming.build(app).instances$);
    const { events, errors: regErrors, sub } = new RegistrationLog(naming.register(inst(app, "h1")));
    try {
      const startedAt = Date.now();
      await errors.first(startedAt - 1, (e) => e._tag === "Backend", 3_000, "a Backend error");
      const outageMs = 4_000;
      await holdFor(outageMs - (Date.now() - startedAt));
      const errorsWhileDown = errors.errors.length;
      // Retrying, not spinning: with backoff from 100 ms doubling (capped), a 4 s outage gives a
      // handful of attempts per stream; a loop without backoff gives thousands.
      expect(errorsWhileDown).toBeGreaterThanOrEqual(2);
      expect(errorsWhileDown).toBeLessThan(40);
      expect(errors.errors.every((e) => e._tag === "Backend" && e.recoverable)).toBe(true);
      expect(recorder.sets).toEqual([]); // no silent empty set while nothing is known
      expect(events).toEqual([]);

      await etcd.start();
      await waitFor(() => events.some((e) => e.type === "registered"), {
        timeoutMs: 6_000,
        intervalMs: 10,
        message: "registered after etcd came up",
      });
      await recorder.until((h) => h.includes("h1"), 6_000, "instances$ lists h1 after etcd came up");
      // And it follows changes from then on.
      await putInstance(world.admin, app, "h2", "v1");
      await recorder.until((h) => h.includes("h2"), 2_000, "a later put");
      expect(regErrors).toEqual([]);
      expect(recorder.errors).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });
});
