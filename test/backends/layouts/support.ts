import * as E from "fp-ts/lib/Either.js";
import { expect } from "vitest";
import { instance, type Instance, type InstanceInput, type NamingError } from "../../../src/model/index.js";
import type { KeyLayout } from "../../../src/port/index.js";

export const make = (input: InstanceInput): Instance => {
  const r = instance(input);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** Decodes `raw` as the value at `key`, naming the hostname the layout reads from the key. */
export const decodeAt = (layout: KeyLayout, appId: string, key: string, raw: string) => {
  const hostname = layout.hostnameOf(appId, key);
  if (typeof hostname !== "string")
    throw new Error(
      `key ${key} does not fit: ${hostname._tag === "Misfit" ? hostname.problem : "a nested app's key"}`,
    );
  return layout.decode({ key, appId, hostname }, raw);
};

export const right = (layout: KeyLayout, appId: string, key: string, raw: string): Instance => {
  const r = decodeAt(layout, appId, key, raw);
  if (E.isLeft(r)) throw new Error(`expected Right, got ${r.left.message}`);
  expect(Object.isFrozen(r.right)).toBe(true);
  return r.right;
};

export const left = (layout: KeyLayout, appId: string, key: string, raw: string): NamingError => {
  const r = decodeAt(layout, appId, key, raw);
  if (E.isRight(r)) throw new Error(`expected Left, got ${JSON.stringify(r.right)}`);
  return r.left;
};

/** What `encode` threw, or undefined when it did not. */
export const encodeError = (layout: KeyLayout, i: Instance): unknown => {
  try {
    layout.encode(i);
    return undefined;
  } catch (e) {
    return e;
  }
};
