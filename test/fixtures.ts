import * as E from "fp-ts/lib/Either.js";
import { TestScheduler } from "rxjs/testing";
import { expect } from "vitest";
import {
  instance,
  instancesInfo,
  type Instance,
  type InstanceInput,
  type InstancesInfo,
} from "../src/model/index.js";

/** Shared by unit, marble and property tests: instances and sets of app "demo". */

/** A fresh TestScheduler asserting with vitest's deep equality. */
export const testScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected);
  });

/** A valid instance of app "demo" (throws on invalid input: fixtures are programmer-made). */
export const inst = (hostname: string, fields: InstanceInput = {}): Instance => {
  const result = instance({
    appId: "demo",
    hostname,
    addrs: [`grpc://${hostname}:9000`],
    lastTs: 1,
    ...fields,
  });
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

/** A set of app "demo" at a revision. */
export const info = (instances: readonly Instance[], revision = "1"): InstancesInfo =>
  instancesInfo("demo", instances, revision);
