// A pick whose call grpc-js never starts must reach the balancer as "not sent": grpc-js calls
// onCallEnded only for calls it started, and p2c would otherwise count such a pick in flight for
// ever. Here the call's credentials take longer than its deadline, so grpc-js picks, then drops
// the call before starting it.
import * as grpc from "@grpc/grpc-js";
import * as O from "fp-ts/lib/Option.js";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { afterAll, expect, it } from "vitest";
import { balancer } from "../../src/balancers/balancer.js";
import type { PickResult } from "../../src/balancers/index.js";
import { pickAddr } from "../../src/balancers/pick-addr.js";
import { registerPolicy } from "../../src/grpc/picker-policy.js";
import { memoryNaming, registerGrpcResolver } from "../../src/index.js";
import { waitFor } from "../harness/wait-for.js";
import { call, client, startEcho } from "./echo.js";
import { Registrations } from "./scenario.js";

// The pick results grpc-js dropped are found by the garbage collector: let the test run it.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

const naming = memoryNaming({ lingerMs: 0 });
afterAll(() => naming.close());

/** A balancer that always picks the first instance and records how each pick ended. */
const spy = (ended: (PickResult | "ok")[]) =>
  balancer<{ readonly instance: import("../../src/index.js").Instance }>({
    entry: (instance) => ({ instance }),
    picker: (entries) => ({
      pick: () => {
        const { instance } = entries[0]!;
        return O.some({
          instance,
          addr: pickAddr(instance, "grpc"),
          done: (result?: PickResult) => ended.push(result ?? "ok"),
        });
      },
    }),
  });

it("reports a call that never started as not sent, and a call that ran as done", async () => {
  await registerGrpcResolver(naming);
  const ended: (PickResult | "ok")[] = [];
  registerPolicy(
    grpc,
    {
      name: "rxnaming_test_spy",
      learns: true,
      parse: () => ({}),
      toJson: () => ({}),
      balancer: () => spy(ended),
    },
    () => undefined,
  );
  const server = await startEcho("s1");
  const regs = new Registrations(naming, "grpc.unstarted");
  regs.add("s1", [server.addr]);
  const c = client("memory:///grpc.unstarted", { rxnaming_test_spy: {} });
  try {
    await waitFor(async () => (await call(c)).ok, { message: "s1 reached" });
    const ran = ended.length;
    expect(ended).toEqual(Array.from({ length: ran }, () => "ok"));

    // Credentials that answer after the deadline: grpc-js picks, then ends the call unstarted.
    const slow = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      setTimeout(() => callback(null, new grpc.Metadata()), 300);
    });
    const unstarted = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<grpc.status>((resolve) =>
            (
              c as unknown as {
                echo(m: Buffer, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
              }
            ).echo(Buffer.from("hi"), { deadline: Date.now() + 50, credentials: slow }, (e) =>
              resolve(e?.code ?? grpc.status.OK),
            ),
          ),
      ),
    );
    expect(unstarted).toEqual(Array.from({ length: 5 }, () => grpc.status.DEADLINE_EXCEEDED));
    expect(server.calls).toBe(ran);

    await waitFor(
      async () => {
        collect();
        await new Promise((resolve) => setTimeout(resolve, 10));
        return ended.length === ran + 5;
      },
      { timeoutMs: 10_000, message: "the 5 unstarted picks reported" },
    );
    expect(ended.slice(ran)).toEqual(Array.from({ length: 5 }, () => ({ notSent: true })));

    // A call that runs after them is reported as it ended, once.
    expect((await call(c)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the 300 ms credentials finish
    collect();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended.slice(ran + 5)).toEqual(["ok"]);

    // A call whose credentials take 2.5 s starts late, after its pick was handed to the garbage
    // collector's watch (1-2 s): it is reported once, as it ended, not also as not sent.
    const late = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      setTimeout(() => callback(null, new grpc.Metadata()), 2_500);
    });
    const code = await new Promise<grpc.status>((resolve) =>
      (
        c as unknown as {
          echo(m: Buffer, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
        }
      ).echo(Buffer.from("hi"), { deadline: Date.now() + 10_000, credentials: late }, (e) =>
        resolve(e?.code ?? grpc.status.OK),
      ),
    );
    expect(code).toBe(grpc.status.OK);
    collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended.slice(ran + 6)).toEqual(["ok"]);
  } finally {
    c.close();
    regs.dispose();
    await server.stop();
  }
}, 30_000);
