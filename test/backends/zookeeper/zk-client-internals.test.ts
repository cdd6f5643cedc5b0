// The node-zookeeper-client internals rxnaming relies on are there in the installed client; a
// client whose internals changed is refused when a naming is made, naming the supported versions.
import { readFileSync } from "node:fs";
import zookeeper from "node-zookeeper-client";
import { describe, expect, it } from "vitest";
import {
  installedZkClientVersion,
  prepareZkClient,
  SUPPORTED_ZK_CLIENT,
} from "../../../src/backends/zookeeper/zk-client-internals.js";
import { isNamingError, zookeeperNaming, type NamingError } from "../../../src/index.js";

const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};
const exceptions = zookeeper.Exception as unknown as { create?: (code: number, path?: string) => unknown };

describe("node-zookeeper-client internals", () => {
  it("supports the range package.json installs, and the installed version is in it", () => {
    expect(packageJson.dependencies["node-zookeeper-client"]).toBe(SUPPORTED_ZK_CLIENT);
    const [, patch] = /^1\.1\.(\d+)$/.exec(installedZkClientVersion()) ?? [];
    expect(Number(patch)).toBeGreaterThanOrEqual(3);
  });

  it("refuses to make a naming on a client whose internals changed, naming the supported versions", () => {
    const create = exceptions.create;
    delete exceptions.create;
    let thrown: unknown;
    try {
      zookeeperNaming({ servers: "127.0.0.1:1" });
    } catch (e) {
      thrown = e;
    } finally {
      exceptions.create = create;
    }
    expect(isNamingError(thrown)).toBe(true);
    expect((thrown as NamingError)._tag).toBe("InvalidOption");
    expect((thrown as NamingError).message).toContain(`node-zookeeper-client ${SUPPORTED_ZK_CLIENT}`);
  });

  it("finds the shape it relies on, and then names error codes newer than the client", () => {
    expect(() => exceptions.create!(-125, "/a")).toThrow(/Unknown code/);
    expect(prepareZkClient()).toBeUndefined();
    const error = exceptions.create!(-125, "/a");
    expect(error).toBeInstanceOf(zookeeper.Exception);
    expect((error as Error).message).toBe("Exception: QUOTA_EXCEEDED[-125]@/a");
  });
});
