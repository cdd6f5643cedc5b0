import { describe, expect, it } from "vitest";
import { kratosV1Layout } from "../../src/backends/layouts/index.js";
import { AppSet } from "../../src/core/app-set.js";
import {
  encodeInstance,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../../src/model/index.js";
import type { KeyChange } from "../../src/port/index.js";

// AppSet keeps no index but its sorted list: these pin down what a Map used to answer (the
// instance a key had, within a batch too) and what a snapshot keeps.

const APP = "demo.service";
const layout = kratosV1Layout();

const inst = (hostname: string, version = "v1"): Instance => ({
  region: "",
  zone: "",
  env: "",
  appId: APP,
  hostname,
  addrs: [`grpc://10.0.0.1:9000`],
  version,
  lastTs: 1,
  metadata: {},
  status: 1,
});
const key = (hostname: string): string => `/kratos_etcd/${APP}/${hostname}`;
const kv = (hostname: string, version = "v1") => ({
  key: key(hostname),
  value: encodeInstance(inst(hostname, version)),
});
const put = (hostname: string, revision: string, version = "v1"): KeyChange => ({
  type: "put",
  ...kv(hostname, version),
  revision,
});
const del = (hostname: string, revision: string): KeyChange => ({
  type: "delete",
  key: key(hostname),
  revision,
});

const fresh = (): { set: AppSet; errors: NamingError[] } => {
  const errors: NamingError[] = [];
  return { set: new AppSet(APP, layout, (e) => errors.push(e)), errors };
};
const names = (info: InstancesInfo | undefined): string[] =>
  info?.instances.map((i) => `${i.hostname}@${i.version}`) ?? ["(no emission)"];

describe("AppSet", () => {
  it("sorts a snapshot that did not come in key order, and emits even an empty first one", () => {
    const { set } = fresh();
    expect(names(set.applySnapshot("5", [kv("c"), kv("a"), kv("b")]))).toEqual(["a@v1", "b@v1", "c@v1"]);
    expect(names(fresh().set.applySnapshot("1", []))).toEqual([]);
  });

  it("a snapshot of the same values emits nothing and keeps every object", () => {
    const { set } = fresh();
    const first = set.applySnapshot("5", [kv("a"), kv("b")])!.instances;
    expect(set.applySnapshot("9", [kv("a"), kv("b")])).toBeUndefined();
    const next = set.applySnapshot("10", [kv("a"), kv("b", "v2")])!.instances;
    expect(next[0]).toBe(first[0]);
    expect(next[1]).not.toBe(first[1]);
    expect(names(set.applySnapshot("11", [kv("a")]))).toEqual(["a@v1"]);
  });

  it("within one batch, a later change sees what an earlier one did", () => {
    const { set } = fresh();
    set.applySnapshot("5", [kv("a"), kv("b")]);
    // put then delete of a new key (two revisions in one watch response): it is not listed
    expect(names(set.applyBatch("6", [put("c", "6"), del("c", "6")]))).toEqual(["a@v1", "b@v1"]);
    // delete then put of an existing key: it stays, with the new value
    expect(names(set.applyBatch("7", [del("a", "7"), put("a", "7", "v2")]))).toEqual(["a@v2", "b@v1"]);
    // two puts of one key: one instance, the last value
    expect(names(set.applyBatch("8", [put("d", "8"), put("d", "8", "v3")]))).toEqual([
      "a@v2",
      "b@v1",
      "d@v3",
    ]);
    // a put of the value it already has changes nothing
    expect(set.applyBatch("9", [put("d", "9", "v3")])).toBeUndefined();
  });

  it("a key whose new value does not decode leaves the set, reported; a delete of an unknown key is nothing", () => {
    const { set, errors } = fresh();
    set.applySnapshot("5", [kv("a"), kv("b")]);
    const info = set.applyBatch("6", [{ type: "put", key: key("a"), value: "{not json", revision: "6" }]);
    expect(names(info)).toEqual(["b@v1"]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/malformed JSON/)]);
    expect(set.applyBatch("7", [del("zz", "7")])).toBeUndefined();
  });

  it("skips changes at or below the revision already applied", () => {
    const { set } = fresh();
    set.applySnapshot("5", [kv("a")]);
    expect(set.applyBatch("5", [put("b", "5")])).toBeUndefined();
    expect(names(set.applyBatch("6", [put("b", "4"), put("c", "6")]))).toEqual(["a@v1", "c@v1"]);
    expect(set.revision).toBe("6");
  });

  it("an emission gives the same frozen array on every read, on this turn and on later ones", async () => {
    const { set } = fresh();
    const snapshot = set.applySnapshot("5", [kv("a"), kv("b")])!;
    const batch = set.applyBatch("6", [put("c", "6")])!;
    const [fromSnapshot, fromBatch] = [snapshot.instances, batch.instances];
    expect(Object.isFrozen(fromSnapshot) && Object.isFrozen(fromBatch)).toBe(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(snapshot.instances).toBe(fromSnapshot);
    expect(batch.instances).toBe(fromBatch);
    expect(names(batch)).toEqual(["a@v1", "b@v1", "c@v1"]);
  });

  it("so does the emission of a large set, stored in many chunks", async () => {
    const { set } = fresh();
    const hosts = Array.from({ length: 1_000 }, (_, i) => `h${String(i).padStart(4, "0")}`);
    const snapshot = set.applySnapshot(
      "5",
      hosts.map((h) => kv(h)),
    )!;
    const batch = set.applyBatch("6", [del("h0500", "6")])!;
    const [fromSnapshot, fromBatch] = [snapshot.instances, batch.instances];
    expect(Object.isFrozen(fromSnapshot) && Object.isFrozen(fromBatch)).toBe(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(snapshot.instances).toBe(fromSnapshot);
    expect(batch.instances).toBe(fromBatch);
    expect([fromSnapshot.length, fromBatch.length]).toEqual([1_000, 999]);
  });

  it("an emission shows appId, instances and revision as its own fields: spread and JSON carry them", () => {
    const { set } = fresh();
    const info = set.applySnapshot("5", [kv("a"), kv("b")])!;
    expect(Object.keys(info)).toEqual(["appId", "instances", "revision"]);
    const copy = { ...info };
    expect(copy.instances).toBe(info.instances);
    expect(JSON.parse(JSON.stringify(info))).toEqual({
      appId: APP,
      instances: [inst("a"), inst("b")],
      revision: "5",
    });
    expect(Object.isFrozen(info)).toBe(true);
  });
});
