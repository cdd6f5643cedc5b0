import type { Naming, NamingError, InstancesInfo } from "../../src/index.js";
import { encodeInstance, instance } from "../../src/model/index.js";
import { expect } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { waitFor } from "../harness/wait-for.js";

/** `{"zone":[[[...]]]}`: about 10 KB, nested 5,000 deep. */
export const deepValue = `{"zone":${"[".repeat(5_000)}${"]".repeat(5_000)}}`;

/** A Kratos v1 value for `hostname` of `appId`. */
export const kratosValue = (appId: string, hostname: string, ip = "10.0.0.1"): string => {
  const i = instance({ appId, hostname, addrs: [`grpc://${ip}:9000`] });
  if (E.isLeft(i)) throw i.left;
  return encodeInstance(i.right);
};

/**
 * One value nested 5,000 deep among good ones, in the first read and in a later change: the app's
 * set lists the good instances, the deep one is a Decode error on `errors$` naming its key, and
 * later changes still arrive. `put` writes a raw value at `/<root>/<appId>/<hostname>`.
 */
export const deepJsonScenario = async (
  naming: Naming,
  appId: string,
  put: (hostname: string, value: string) => Promise<void>,
  keyOf: (hostname: string) => string,
): Promise<void> => {
  const errors: NamingError[] = [];
  const errorsSub = naming.errors$.subscribe((e) => errors.push(e));
  const sets: InstancesInfo[] = [];
  await put("good-1", kratosValue(appId, "good-1"));
  await put("deep-1", deepValue);
  const sub = naming.build(appId).instances$.subscribe((info) => sets.push(info));
  try {
    const hostnames = () => sets.at(-1)?.instances.map((i) => i.hostname);
    await waitFor(() => hostnames()?.join() === "good-1", { message: "the first set with good-1" });
    await waitFor(() => errors.find((e) => e._tag === "Decode" && e.key === keyOf("deep-1")), {
      message: "a Decode error for the deep value of the first read",
    });
    // In a change: the deep value is reported, and what comes after it still arrives.
    await put("deep-2", deepValue);
    await put("good-2", kratosValue(appId, "good-2", "10.0.0.2"));
    await waitFor(() => hostnames()?.join() === "good-1,good-2", { message: "good-2 after deep-2" });
    await waitFor(() => errors.find((e) => e._tag === "Decode" && e.key === keyOf("deep-2")), {
      message: "a Decode error for the deep value of a change",
    });
    for (const e of errors.filter((e) => e._tag === "Decode")) expect(e.message.length).toBeLessThan(400);
    expect(errors.filter((e) => e._tag === "Backend")).toEqual([]);
    const fetched = await naming.build(appId).fetch()();
    expect(E.isRight(fetched) && fetched.right.instances.map((i) => i.hostname)).toEqual([
      "good-1",
      "good-2",
    ]);
  } finally {
    sub.unsubscribe();
    errorsSub.unsubscribe();
  }
};
