// TLS with client-certificate auth, and username/password auth with a role limited to
// the prefix. Registration and discovery work; a user without permission gets a clear Backend error
// (register errors; instances$ reports on errors$), not a hang and not a silent empty set.
import { firstValueFrom, toArray } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { NamingError, RegistrationEvent } from "../../src/index.js";
import { makeTlsMaterial, startEtcd, useHarnessCleanup, waitFor } from "../harness/index.js";
import { ErrorLog, EtcdWorld, freshApp, inst, keyOf, putInstance, Recorder } from "./support.js";

useHarnessCleanup();

describe("TLS and auth", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("TLS with client-certificate auth: registration and discovery work", async () => {
    const tls = await makeTlsMaterial();
    const etcd = await startEtcd({ tls: { ...tls, clientCertAuth: true } });
    expect(etcd.endpoint).toMatch(/^https:\/\/localhost:/);
    world = new EtcdWorld(() => etcd.clientOptions());
    const app = freshApp("tls");
    const consumer = new Recorder(world.naming().build(app).instances$);
    const events: RegistrationEvent[] = [];
    const sub = world
      .naming({ ttlSeconds: 5 })
      .register(inst(app, "h1"))
      .subscribe((e) => events.push(e));
    try {
      await consumer.until((h) => h.includes("h1"), 5_000, "h1 over TLS");
      // (The watch may deliver the key before the put's own answer arrives.)
      await waitFor(() => events.length > 0, { timeoutMs: 2_000, message: "the registered event" });
      expect(events.map((e) => e.type)).toEqual(["registered"]);
      expect(await etcd.etcdctl(["get", keyOf(app, "h1"), "--print-value-only"])).toContain(
        '"hostname":"h1"',
      );
      sub.unsubscribe();
      await consumer.until((h) => h.length === 0, 2_000, "h1 gone after unsubscribe");
      expect(consumer.errors).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it("username/password with a role limited to the prefix; a user without permission gets a clear error", async () => {
    const etcd = await startEtcd();
    await etcd.enableAuth("root-pw");
    // svc may read and write the naming prefix only; nobody may only touch /other/.
    await etcd.etcdctl(["role", "add", "naming"]);
    await etcd.etcdctl(["role", "grant-permission", "naming", "--prefix=true", "readwrite", "/kratos_etcd/"]);
    await etcd.etcdctl(["user", "add", "svc", "--new-user-password=svc-pw"]);
    await etcd.etcdctl(["user", "grant-role", "svc", "naming"]);
    await etcd.etcdctl(["role", "add", "elsewhere"]);
    await etcd.etcdctl(["role", "grant-permission", "elsewhere", "--prefix=true", "readwrite", "/other/"]);
    await etcd.etcdctl(["user", "add", "nobody", "--new-user-password=nobody-pw"]);
    await etcd.etcdctl(["user", "grant-role", "nobody", "elsewhere"]);

    world = new EtcdWorld(() => ({
      ...etcd.clientOptions(),
      auth: { username: "root", password: "root-pw" },
    }));
    const app = freshApp("auth");

    // svc: everything works inside its prefix.
    const svc = world.naming(
      { ttlSeconds: 5 },
      world.client({ auth: { username: "svc", password: "svc-pw" } }),
    );
    const svcErrors = new ErrorLog(svc);
    const svcView = new Recorder(svc.build(app).instances$);
    const events: RegistrationEvent[] = [];
    const sub = svc.register(inst(app, "h1")).subscribe((e) => events.push(e));
    try {
      await svcView.until((h) => h.includes("h1"), 5_000, "svc sees its own registration");
      await putInstance(world.admin, app, "h2", "v1");
      await svcView.until((h) => h.includes("h2"), 3_000, "svc sees a put by root");
      expect(svcErrors.errors).toEqual([]);

      // nobody: register fails at once with a clear, final Backend error.
      const nobody = world.naming(
        { ttlSeconds: 5 },
        world.client({ auth: { username: "nobody", password: "nobody-pw" } }),
      );
      const nobodyErrors = new ErrorLog(nobody);
      const startedAt = Date.now();
      const failure = (await firstValueFrom(nobody.register(inst(app, "intruder")).pipe(toArray())).catch(
        (e: unknown) => e,
      )) as NamingError;
      const registerFailedIn = Date.now() - startedAt;
      expect(failure).toMatchObject({ _tag: "Backend", recoverable: false });
      expect(failure.message).toMatch(/permission/i);
      expect(registerFailedIn).toBeLessThan(3_000);
      expect(await world.get(keyOf(app, "intruder"))).toBeUndefined();

      // nobody's instances$: a clear error on errors$ within seconds, and no (empty) set.
      const watchedAt = Date.now();
      const view = new Recorder(nobody.build(app).instances$);
      const refusal = (e: NamingError): boolean => e._tag === "Backend" && /permission/i.test(e.message);
      await nobodyErrors.first(watchedAt, refusal, 3_000, "a permission error on errors$");
      // The read is refused again on its next try: by then a first refusal that (wrongly) gave an
      // empty set would have given it.
      await waitFor(() => nobodyErrors.since(watchedAt).filter(refusal).length >= 2, {
        timeoutMs: 5_000,
        message: "a second permission error on errors$",
      });
      expect(view.sets).toEqual([]);
      expect(view.errors).toEqual([]); // instances$ reports on errors$, it does not die
      // No leftovers of the failed registration: the lease nobody was granted is revoked.
      await waitFor(async () => (await etcd.etcdctl(["lease", "list"])).includes("found 1 leases"), {
        timeoutMs: 3_000,
        message: "only svc's lease left",
      });
      view.unsubscribe();
    } finally {
      sub.unsubscribe();
    }
  });
});
