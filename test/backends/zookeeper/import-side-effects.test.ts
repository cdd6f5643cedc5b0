// Importing rxnaming changes nothing in node-zookeeper-client: its Exception.create is patched only
// when a ZooKeeper naming is made.
import zookeeper from "node-zookeeper-client";
import { describe, expect, it } from "vitest";

type WithCreate = { create: (code: number, path?: string) => unknown };

describe("importing rxnaming", () => {
  it("leaves node-zookeeper-client's Exception.create as it was", async () => {
    const before = (zookeeper.Exception as unknown as WithCreate).create;
    await import("../../../src/index.js");
    expect((zookeeper.Exception as unknown as WithCreate).create).toBe(before);
  });
});
