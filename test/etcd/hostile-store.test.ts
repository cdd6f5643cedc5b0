// Hostile data in a real etcd: values nested thousands deep, values near etcd's 1.5 MiB limit
// whose sum exceeds grpc-js' 4 MB receive limit, and keys that are not valid UTF-8. Each takes
// down nothing but its own key; other keys and other apps go on.
import { Etcd3 } from "etcd3";
import type { Subscription } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { etcdBackend } from "../../src/backends/etcd/index.js";
import type { InstancesInfo, NamingError } from "../../src/index.js";
import type { WatchMessage } from "../../src/port/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { deepJsonScenario, kratosValue } from "../backends/deep-json-scenario.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd();

/** A Kratos v1 value of about `bytes` bytes: one metadata field holds the bulk. */
const bigValue = (appId: string, hostname: string, bytes: number): string =>
  kratosValue(appId, hostname).replace('"metadata":{}', `"metadata":{"blob":"${"x".repeat(bytes)}"}`);

const MB = 1_400_000;

describe("a hostile etcd store", () => {
  let world: EtcdWorld;
  const subs: Subscription[] = [];
  const plainClients: Etcd3[] = [];
  beforeEach(() => {
    world = new EtcdWorld(() => etcd().clientOptions());
  });
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    await world.dispose();
    for (const c of plainClients.splice(0)) c.close();
  });
  /** A client with grpc-js' defaults (a 4 MB receive limit), as a user may pass one. */
  const plainClient = (): Etcd3 => {
    const c = new Etcd3({ hosts: [etcd().endpoint] });
    plainClients.push(c);
    return c;
  };
  const latest = (naming: ReturnType<EtcdWorld["naming"]>, appId: string) => {
    const sets: InstancesInfo[] = [];
    subs.push(naming.build(appId).instances$.subscribe((s) => sets.push(s)));
    return () =>
      sets
        .at(-1)
        ?.instances.map((i) => i.hostname)
        .join();
  };
  const errorsOf = (naming: ReturnType<EtcdWorld["naming"]>): NamingError[] => {
    const errors: NamingError[] = [];
    subs.push(naming.errors$.subscribe((e) => errors.push(e)));
    return errors;
  };

  it("lists an app around a value nested 5,000 deep, in the first read and in the watch", async () => {
    const app = freshApp("deep");
    await deepJsonScenario(
      world.naming(),
      app,
      (hostname, value) => world.put(`/kratos_etcd/${app}/${hostname}`, value),
      (hostname) => `/kratos_etcd/${app}/${hostname}`,
    );
  });

  describe("three values of 1.4 MB (4.2 MB together)", () => {
    it.each([
      ["a client with grpc-js' default 4 MB limit", "plain"],
      ["a client made with etcdClientOptions", "own"],
    ])("are listed by a naming on %s", async (_, which) => {
      const app = freshApp("big");
      for (const h of ["h1", "h2", "h3"]) await world.put(`/kratos_etcd/${app}/${h}`, bigValue(app, h, MB));
      const naming = which === "plain" ? world.naming({}, plainClient()) : world.naming();
      const hostnames = latest(naming, app);
      await waitFor(() => hostnames() === "h1,h2,h3", {
        message: "the three large instances",
        timeoutMs: 10_000,
      });
    });

    it("arriving at once in a watch's catch-up delay no other app's watch, on a 4 MB client", async () => {
      const client = plainClient();
      const backend = etcdBackend(client);
      try {
        const big = freshApp("big");
        const small = freshApp("small");
        const before = (await client.get("/none").exec()).header.revision;
        for (const h of ["h1", "h2", "h3"]) await world.put(`/kratos_etcd/${big}/${h}`, bigValue(big, h, MB));
        const faults: NamingError[] = [];
        subs.push(backend.faults$.subscribe((e) => faults.push(e)));
        const bigMessages: WatchMessage[] = [];
        const smallMessages: WatchMessage[] = [];
        // The big app resumes from before the writes, as after a reconnect: one catch-up of 4.2 MB.
        subs.push(backend.watch(`/kratos_etcd/${big}/`, before).subscribe((m) => bigMessages.push(m)));
        subs.push(backend.watch(`/kratos_etcd/${small}/`).subscribe((m) => smallMessages.push(m)));
        await waitFor(() => smallMessages.some((m) => m.type === "snapshot"), {
          message: "small's snapshot",
        });
        await world.put(`/kratos_etcd/${small}/s1`, kratosValue(small, "s1"));
        await waitFor(() => smallMessages.some((m) => m.type === "batch"), {
          message: "small's put",
          timeoutMs: 3_000,
        });
        const bigKeys = bigMessages.flatMap((m) => (m.type === "batch" ? m.changes.map((c) => c.key) : []));
        await waitFor(() => bigMessages.flatMap((m) => (m.type === "batch" ? m.changes : [])).length === 3, {
          message: "the three large puts",
        });
        expect(bigKeys.length).toBeLessThanOrEqual(3);
        expect(faults).toEqual([]);
      } finally {
        await backend.close();
      }
    });
  });

  it("skips keys that are not valid UTF-8 as Decode errors, and never lists a ghost", async () => {
    const app = freshApp("utf");
    const naming = world.naming();
    const errors = errorsOf(naming);
    const raw = (suffix: number[]) =>
      Buffer.concat([Buffer.from(`/kratos_etcd/${app}/h`), Buffer.from(suffix)]);
    const value = (ip: string) => `{"appid":"${app}","addrs":["grpc://${ip}:9000"]}`;
    await world.put(`/kratos_etcd/${app}/good`, kratosValue(app, "good"));
    await world.admin
      .put(raw([0xff]))
      .value(value("10.0.0.1"))
      .exec();
    const hostnames = latest(naming, app);
    await waitFor(() => hostnames() === "good", { message: "the first set" });
    // In the watch: another key decoding to the same lossy text, then one of them deleted.
    await world.admin
      .put(raw([0xfe]))
      .value(value("10.0.0.2"))
      .exec();
    await world.admin
      .delete()
      .key(raw([0xff]))
      .exec();
    await world.put(`/kratos_etcd/${app}/later`, kratosValue(app, "later"));
    await waitFor(() => hostnames() === "good,later", { message: "the set after the changes" });
    const decode = errors.filter((e) => e._tag === "Decode");
    expect(decode.map((e) => e.key)).toEqual([`/kratos_etcd/${app}/h\\xff`, `/kratos_etcd/${app}/h\\xfe`]);
    for (const e of decode) expect(e.message).toMatch(/not valid UTF-8/);
  });
});
