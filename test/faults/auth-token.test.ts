// An expired auth token: with a short --auth-token-ttl, watches opened after the
// client's token expired still work, on a stream that is still open as well as on a new one, and a
// refused create does not wedge the other watches of the stream.
import { Etcd3, type IWatchResponse } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import { Members } from "../../src/backends/etcd/members.js";
import { WatchHub } from "../../src/backends/etcd/watch-hub.js";
import { etcdClientOptions, type NamingError } from "../../src/index.js";
import { holdFor, startEtcd, useHarnessCleanup, waitFor } from "../harness/index.js";
import { ErrorLog, EtcdWorld, freshApp, putInstance, Recorder } from "./support.js";

useHarnessCleanup();

const TOKEN_TTL_S = 2;
// Held well past the token's TTL, the token has expired (the first test's control watch shows it).
const tokenLifetimeMs = TOKEN_TTL_S * 1000 + 3_000;
const expire = (): Promise<void> => holdFor(tokenLifetimeMs);

describe("expired auth token (simple token, --auth-token-ttl=2)", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("new watches opened after the token expired work, and do not wedge the others", async () => {
    const etcd = await startEtcd({ extraArgs: [`--auth-token-ttl=${TOKEN_TTL_S}`, "--auth-token=simple"] });
    await etcd.enableAuth("root-pw");
    world = new EtcdWorld(() => ({
      ...etcd.clientOptions(),
      auth: { username: "root", password: "root-pw" },
    }));
    const writer = world.admin;
    const naming = world.naming({ lingerMs: 0 }, world.client());
    const errors = new ErrorLog(naming);
    const [app1, app2, app3] = [freshApp("tok1"), freshApp("tok2"), freshApp("tok3")];

    // A watch whose stream stays open while the client's token expires (the stream does no unary call).
    const first = new Recorder(naming.build(app1).instances$);
    await first.until((h) => h.length === 0);
    // Control: a raw stream of another client, opened now, is refused a create after the expiry, so
    // the token really did expire (the situation this test is about).
    const control = world.client();
    await control.get("/x").exec();
    const raw = await control.watchClient.watch();
    const refused = new Promise<IWatchResponse>((resolve) => raw.on("data", resolve));
    raw.on("error", () => undefined);
    await expire();
    raw.write({ create_request: { key: Buffer.from("/x"), watch_id: 7 } });
    const answer = await refused;
    expect(answer.canceled).toBe(true);
    expect(answer.cancel_reason).toMatch(/auth token/i);
    raw.end();
    raw.cancel();

    // 1. A new watch on the stream that is still open.
    const second = new Recorder(naming.build(app2).instances$);
    await putInstance(writer, app2, "a", "v1");
    await second
      .until((h) => h.includes("a"), 5_000, "the new watch (open stream) sees a put")
      .catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; errors$: ${errors.describe() || "(none)"}`, { cause: e });
      });
    // The older watch on the same stream is not wedged.
    await putInstance(writer, app1, "b", "v1");
    await first.until((h) => h.includes("b"), 5_000, "the older watch still works");

    // 2. Every watch gone (the stream ends), the token expires again, then a new watch: a new stream.
    first.unsubscribe();
    second.unsubscribe();
    await expire();
    const third = new Recorder(naming.build(app3).instances$);
    await putInstance(writer, app3, "c", "v1");
    await third.until((h) => h.includes("c"), 5_000, "a watch on a new stream sees a put");

    expect(third.errors).toEqual([]);
    expect(second.errors).toEqual([]);
    expect(first.errors).toEqual([]);
    third.unsubscribe();
  });

  it("a watch refused for an expired token leaves its member trusted: the member is healthy, the token is old", async () => {
    const etcd = await startEtcd({ extraArgs: [`--auth-token-ttl=${TOKEN_TTL_S}`, "--auth-token=simple"] });
    await etcd.enableAuth("root-pw");
    const client = new Etcd3(
      etcdClientOptions({ ...etcd.clientOptions(), auth: { username: "root", password: "root-pw" } }),
    );
    const members = new Members(client);
    const faults: NamingError[] = [];
    const hub = new WatchHub({
      members,
      fault: (e) => faults.push(e),
      refreshAuth: async () => {
        await client
          .get("/")
          .exec()
          .catch(() => undefined);
      },
    });
    try {
      const revision = (await client.getAll().prefix("/none/").exec()).header.revision;
      const failed: NamingError[] = [];
      const handlers = {
        batch: () => undefined,
        skipped: () => undefined,
        compacted: () => undefined,
        failed: (e: NamingError) => failed.push(e),
      };
      const cancelFirst = hub.open("/a/", revision, handlers);
      await waitFor(() => hub.state === "open", { message: "the watch stream open" });
      await expire();
      // A new watch on the stream whose token has expired: etcd refuses its create.
      const cancelSecond = hub.open("/b/", revision, handlers);
      await waitFor(() => failed.length > 0, { timeoutMs: 5_000, message: "the refused create" });
      expect(failed[0]?.message).toMatch(/auth token/i);
      expect(members.suspects()).toEqual([]);
      cancelFirst();
      cancelSecond();
    } finally {
      hub.close();
      client.close();
    }
  });
});
