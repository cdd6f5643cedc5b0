// The etcd3 internals rxnaming relies on are there in the installed client, and a client whose
// internals changed is refused when a naming is made, naming the supported versions.
import { readFileSync } from "node:fs";
import { Etcd3 } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkEtcd3Client,
  installedEtcd3Version,
  SUPPORTED_ETCD3,
} from "../../../src/backends/etcd/etcd3-internals.js";
import { etcdNaming, isNamingError, type NamingError } from "../../../src/index.js";

const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};

describe("etcd3 internals", () => {
  const clients: Etcd3[] = [];
  // No etcd is reached: a client connects on its first call, and none is made.
  const client = (): Etcd3 => {
    const c = new Etcd3({ hosts: "http://127.0.0.1:1" });
    clients.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it("supports the range package.json installs, and the installed version is in it", () => {
    expect(packageJson.dependencies["etcd3"]).toBe(SUPPORTED_ETCD3);
    const [, patch] = /^1\.1\.(\d+)$/.exec(installedEtcd3Version()) ?? [];
    expect(Number(patch)).toBeGreaterThanOrEqual(2);
  });

  it("finds the shape it relies on in the installed client", () => {
    expect(checkEtcd3Client(client())).toBeUndefined();
  });

  it("refuses a client whose internals changed, naming the supported versions", () => {
    // As a release that renamed its pool would look.
    const changed = Object.create(client(), { pool: { value: undefined } }) as Etcd3;
    let thrown: unknown;
    try {
      etcdNaming(changed);
    } catch (e) {
      thrown = e;
    }
    expect(isNamingError(thrown)).toBe(true);
    expect((thrown as NamingError)._tag).toBe("InvalidOption");
    expect((thrown as NamingError).message).toContain(`etcd3 ${SUPPORTED_ETCD3}`);
  });

  it("refuses a client whose KV service lost its method definitions", () => {
    const changed = client();
    const pool = (changed as unknown as { pool: { hosts: { getServiceClient(s: string): object }[] } }).pool;
    const host = pool.hosts[0]!;
    const original = host.getServiceClient.bind(host);
    host.getServiceClient = (service) => (service === "KV" ? { range: () => undefined } : original(service));
    expect(checkEtcd3Client(changed)?.message).toMatch(/KV is not a grpc-js generated client/);
  });
});
