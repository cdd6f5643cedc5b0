import * as grpc from "@grpc/grpc-js";
import { firstValueFrom, filter, take, toArray, type Observable } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  memoryNaming,
  registerGrpcResolver,
  type GrpcResolverRegistration,
  type NamingError,
} from "../../src/index.js";
import { MemoryStore } from "../../src/testing/index.js";
import { waitFor } from "../harness/wait-for.js";
import { call, client, spread, startEcho, type EchoServer } from "./echo.js";
import { Registrations } from "./scenario.js";

const store = new MemoryStore();
const naming = memoryNaming({ store, lingerMs: 200 });
let registration: GrpcResolverRegistration;
beforeAll(async () => {
  registration = await registerGrpcResolver(naming, { clientId: "client-a" });
});
afterAll(() => naming.close());

let servers: EchoServer[] = [];
let regs: Registrations[] = [];
let clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  for (const r of regs) r.dispose();
  regs = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

let apps = 0;
const app = () => {
  const r = new Registrations(naming, `grpc.resolver.a${++apps}`);
  regs.push(r);
  return r;
};
const echo = async (...names: string[]) => {
  const started = await Promise.all(names.map(startEcho));
  servers.push(...started);
  return started;
};
const open = (target: string, policy?: object, options: grpc.ChannelOptions = {}) => {
  const c =
    policy === undefined
      ? new (client("x:///y").constructor as typeof grpc.Client)(
          target,
          grpc.credentials.createInsecure(),
          options,
        )
      : client(target, policy, options);
  clients.push(c);
  return c;
};
const reached = async (c: grpc.Client, n = 30) => new Set((await spread(c, n)).keys());
const errorsWhere = (p: (e: NamingError) => boolean): Observable<NamingError> =>
  registration.errors$.pipe(filter(p));

describe("registerGrpcResolver: targets", () => {
  it("zone: prefers the zone, falls back to all zones when it has no instance", async () => {
    const [a, b, c] = await echo("z1-a", "z2-b", "z2-c");
    const r = app();
    r.add("a", [a!.addr], { zone: "z1" });
    r.add("b", [b!.addr], { zone: "z2" });
    r.add("c", [c!.addr], { zone: "z2" });
    const ch = open(`memory:///${r.appId}?zone=z1`, { round_robin: {} });
    await waitFor(async () => (await reached(ch)).has("z1-a"));
    expect(await reached(ch)).toEqual(new Set(["z1-a"]));
    r.remove("a");
    await waitFor(
      async () => {
        const got = await reached(ch);
        return got.size === 2 && got.has("z2-b") && got.has("z2-c");
      },
      { message: "fallback to z2" },
    );
  }, 30_000);

  it("cluster: keeps instances of the listed clusters", async () => {
    const [a, b, c] = await echo("c1", "c2", "c3");
    const r = app();
    r.add("a", [a!.addr], { metadata: { cluster: "c1" } });
    r.add("b", [b!.addr], { metadata: { cluster: "c2" } });
    r.add("c", [c!.addr], { metadata: { cluster: "c3" } });
    const ch = open(`memory:///${r.appId}?cluster=c1&cluster=c3`, { round_robin: {} });
    await waitFor(async () => (await reached(ch)).size === 2);
    expect(await reached(ch)).toEqual(new Set(["c1", "c3"]));
  }, 30_000);

  it("subset: N instances for the client id, the same N on every channel of that client", async () => {
    const started = await echo("s1", "s2", "s3", "s4", "s5");
    const r = app();
    started.forEach((s) => r.add(s.name, [s.addr]));
    const one = open(`memory:///${r.appId}?subset=2`, { round_robin: {} });
    const two = open(`memory:///${r.appId}?subset=2`, { round_robin: {} });
    await waitFor(async () => (await reached(one)).size === 2);
    const chosen = await reached(one, 40);
    expect(chosen.size).toBe(2);
    await waitFor(async () => (await reached(two)).size === 2);
    expect(await reached(two, 40)).toEqual(chosen);
  }, 30_000);

  it("bad targets fail their calls with UNAVAILABLE and a clear message, and are told on errors$", async () => {
    const told = firstValueFrom(errorsWhere((e) => e._tag === "Decode" && e.message.includes("subset=zero")));
    const ch = open(`memory:///some.app?subset=zero`, { round_robin: {} });
    const o = await call(ch, { deadlineMs: 3_000 });
    expect(o).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(o.ok ? "" : o.details).toContain("subset must be");
    expect((await told).message).toContain("memory:///some.app?subset=zero");
    const none = open(`memory:///`, { round_robin: {} });
    const p = await call(none, { deadlineMs: 3_000 });
    expect(p).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(p.ok ? "" : p.details).toContain("no appid");
  }, 30_000);
});

describe("registerGrpcResolver: instances and lifecycle", () => {
  it("skips an instance without a grpc:// address and tells errors$ which", async () => {
    const [a] = await echo("a");
    const r = app();
    const told = firstValueFrom(errorsWhere((e) => e.key === `${r.appId}/web`));
    r.add("web", ["http://127.0.0.1:8080"]);
    const ch = open(`memory:///${r.appId}`, { round_robin: {} });
    const empty = await call(ch, { deadlineMs: 3_000 });
    expect(empty).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(empty.ok ? "" : empty.details).toContain("1 skipped");
    const error = await told;
    expect(error._tag).toBe("InvalidInstance");
    expect(error.field).toBe("addrs");
    expect(error.message).toContain("no grpc:// address");
    r.add("a", [a!.addr]);
    await waitFor(async () => (await call(ch)).ok, { message: "a reached" });
  }, 30_000);

  it("with grpc-js's default policy (pick_first) too, no instance fails calls at once and one registration cures it", async () => {
    const [a] = await echo("a");
    const r = app();
    const ch = open(`memory:///${r.appId}`);
    const started = performance.now();
    const o = await call(ch, { deadlineMs: 5_000 });
    expect(o).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(o.ok ? "" : o.details).toContain(r.appId);
    expect(performance.now() - started).toBeLessThan(1_000);
    r.add("a", [a!.addr]);
    await waitFor(async () => (await call(ch, { deadlineMs: 1_000 })).ok, { message: "a reached" });
    r.remove("a");
    await waitFor(
      async () => {
        const x = await call(ch, { deadlineMs: 2_000 });
        return !x.ok && x.code === grpc.status.UNAVAILABLE;
      },
      { message: "UNAVAILABLE again" },
    );
  }, 30_000);

  it("many channels to one appid share one watch; closing them releases it after the linger", async () => {
    const [a] = await echo("a");
    const r = app();
    r.add("a", [a!.addr]);
    // Watches of earlier tests linger 200 ms.
    await waitFor(() => store.watchers === 0, { message: "no watch left from earlier tests" });
    const before = store.watchers;
    const channels = Array.from({ length: 20 }, () => open(`memory:///${r.appId}`, { round_robin: {} }));
    await Promise.all(channels.map((ch) => waitFor(async () => (await call(ch)).ok)));
    expect(store.watchers).toBe(before + 1);
    for (const ch of channels) ch.close();
    await waitFor(() => store.watchers === before, { timeoutMs: 3_000, message: "watch released" });
  }, 30_000);

  it("an idle channel releases its share and takes it up again on the next call", async () => {
    const [a] = await echo("a");
    const r = app();
    r.add("a", [a!.addr]);
    // Watches of earlier tests linger 200 ms.
    await waitFor(() => store.watchers === 0, { message: "no watch left from earlier tests" });
    const before = store.watchers;
    const ch = open(`memory:///${r.appId}`, { round_robin: {} }, { "grpc.client_idle_timeout_ms": 1_000 });
    expect((await call(ch)).ok).toBe(true);
    expect(store.watchers).toBe(before + 1);
    await waitFor(() => store.watchers === before, { timeoutMs: 5_000, message: "idle released the watch" });
    expect(await call(ch)).toMatchObject({ ok: true, server: "a" });
    expect(store.watchers).toBe(before + 1);
  }, 30_000);

  it("a closed naming fails its channels' calls with UNAVAILABLE, saying so", async () => {
    const own = memoryNaming({ lingerMs: 0 });
    await registerGrpcResolver(own, { scheme: "closing" });
    const [a] = await echo("a");
    const r = new Registrations(own, "grpc.closing");
    r.add("a", [a!.addr]);
    const ch = open(`closing:///grpc.closing`, { round_robin: {} });
    await waitFor(async () => (await call(ch)).ok, { message: "a reached" });
    await own.close();
    await waitFor(
      async () => {
        const o = await call(ch, { deadlineMs: 2_000 });
        return !o.ok && o.code === grpc.status.UNAVAILABLE && o.details.includes("closed");
      },
      { message: "UNAVAILABLE: the naming is closed" },
    );
  }, 30_000);

  it("errors$ is told each skipped instance version once per channel", async () => {
    const r = app();
    const seen = firstValueFrom(errorsWhere((e) => e.key === `${r.appId}/web`).pipe(take(2), toArray()));
    r.add("web", ["http://127.0.0.1:8080"]);
    const ch = open(`memory:///${r.appId}`, { round_robin: {} });
    await call(ch, { deadlineMs: 2_000 });
    r.remove("web");
    r.add("web", ["http://127.0.0.1:8081"]);
    await call(ch, { deadlineMs: 2_000 });
    const [first, second] = await seen;
    expect(first!.message).toContain("8080");
    expect(second!.message).toContain("8081");
  }, 30_000);
});
