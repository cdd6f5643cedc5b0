// A registration that etcd refuses for good ends with an error; it is not retried for ever.
import { firstValueFrom, timeout, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import type { NamingError, RegistrationEvent } from "../../src/index.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { startEtcd, useEtcd, useHarnessCleanup } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

useHarnessCleanup();
// A small request limit, so that an instance too large for etcd is easy to make.
const etcd = useEtcd({ extraArgs: ["--max-request-bytes=4096"] });

/** The registration's outcome: its error, or its events when it completed. */
const outcome = (events$: import("rxjs").Observable<RegistrationEvent>): Promise<unknown> =>
  firstValueFrom(events$.pipe(toArray(), timeout({ first: 8_000 }))).catch((e: unknown) => e);

describe("registration errors that retrying cannot cure (real etcd)", () => {
  it("ends on a lease TTL etcd refuses as out of range, naming the TTL", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const naming = world.naming();
      const error = (await outcome(
        naming.register(inst(freshApp(), "h"), { ttlSeconds: 99_999_999_999 }),
      )) as NamingError;
      expect(error).toMatchObject({ isNamingError: true, recoverable: false });
      expect(error.message).toMatch(/ttl/i);
    } finally {
      await world.dispose();
    }
  });

  it("ends on an instance larger than etcd accepts (invalid argument)", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const naming = world.naming();
      const big = inst(freshApp(), "h", { metadata: { blob: "x".repeat(8_000) } });
      const error = (await outcome(naming.register(big))) as NamingError;
      expect(error).toMatchObject({ isNamingError: true, _tag: "Backend", recoverable: false });
      expect(error.message).toMatch(/too large/i);
      expect(await world.keys(`/kratos_etcd/${big.appId}/`)).toEqual([]);
    } finally {
      await world.dispose();
    }
  });

  it("ends on permission denied (a user who may only read)", async () => {
    const secured = await startEtcd();
    await secured.enableAuth("root-pw");
    await secured.etcdctl(["role", "add", "reader"]);
    await secured.etcdctl(["role", "grant-permission", "reader", "--prefix=true", "read", "/"]);
    await secured.etcdctl(["user", "add", "reader", "--new-user-password=reader-pw"]);
    await secured.etcdctl(["user", "grant-role", "reader", "reader"]);
    const world = new EtcdWorld(() => ({
      ...secured.clientOptions(),
      auth: { username: "reader", password: "reader-pw" },
    }));
    try {
      const naming = world.naming();
      const error = (await outcome(naming.register(inst(freshApp(), "h")))) as NamingError;
      expect(error).toMatchObject({ isNamingError: true, _tag: "Backend", recoverable: false });
      expect(error.message).toMatch(/permission denied/i);
    } finally {
      await world.dispose();
      await secured.dispose();
    }
  });
});
