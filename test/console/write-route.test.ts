import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instance, memoryNaming, type Instance, type Naming } from "../../src/index.js";
import { ClientView, serveConsole, type ConsoleServer, type Fleet } from "../../src/console/index.js";
import { applyEdit } from "../../src/console/write-route.js";
import { describeUpdate } from "../../src/console/instance-diff.js";

const inst = (extra: Partial<Instance> = {}): Instance => {
  const made = instance({ appId: "shop.api", hostname: "host-1", addrs: ["grpc://10.0.0.1:9000"], ...extra });
  if (made._tag === "Left") throw made.left;
  return made.right;
};

describe("the write route", () => {
  let naming: Naming;
  let server: ConsoleServer;
  const written: Instance[] = [];
  // A fleet that records what it would write: the route's checks are what is tested here.
  const fleet: Fleet = {
    apps$: { subscribe: () => ({ unsubscribe: () => undefined }) } as unknown as Fleet["apps$"],
    write: async (_appId, _hostname, change) =>
      void written.push(change(inst({ metadata: { weight: "10" } }))),
  };
  beforeAll(async () => {
    naming = memoryNaming();
    server = await serveConsole(naming, { port: 0, allowWrites: true, fleet, token: "t".repeat(20) });
  });
  afterAll(async () => {
    await server.close();
    await naming.close();
  });

  const post = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(new URL("/api/write", server.url), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${"t".repeat(20)}`, ...headers },
      body,
    });
  const message = async (r: Response): Promise<string> => ((await r.json()) as { message: string }).message;

  it("writes a weight and a status with the token, keeping the rest of the instance", async () => {
    const r = await post(JSON.stringify({ appId: "shop.api", hostname: "host-1", weight: "25", status: 2 }));
    expect(r.status).toBe(200);
    expect(written.at(-1)).toMatchObject({
      status: 2,
      metadata: { weight: "25" },
      addrs: ["grpc://10.0.0.1:9000"],
    });
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["no hostname", JSON.stringify({ appId: "shop.api", weight: "1" }), /appId and hostname/],
    ["a weight that is a number", JSON.stringify({ appId: "a", hostname: "h", weight: 3 }), /weight/],
    ["a weight with a sign", JSON.stringify({ appId: "a", hostname: "h", weight: "-3" }), /weight/],
    ["a status out of range", JSON.stringify({ appId: "a", hostname: "h", status: 256 }), /status/],
    ["nothing to change", JSON.stringify({ appId: "a", hostname: "h" }), /nothing to change/],
  ])("refuses %s with 400 saying why", async (_what, body, why) => {
    const count = written.length;
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(await message(r)).toMatch(why);
    expect(written.length).toBe(count);
  });

  it("refuses what is not JSON, a body too large, and another method", async () => {
    expect((await post("{}", { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(JSON.stringify({ appId: "a", hostname: "h", pad: "x".repeat(10_000) }))).status).toBe(
      413,
    );
    expect((await fetch(new URL("/api/write", server.url))).status).toBe(405);
  });
});

describe("applyEdit and describeUpdate", () => {
  it("validates the edited instance as any instance", () => {
    expect(applyEdit(inst(), { status: 2 }).status).toBe(2);
    expect(() => applyEdit(inst(), { status: 1.5 })).toThrow(/status/);
  });

  it("says what changed, field by field", () => {
    const before = inst({ metadata: { weight: "10" } });
    expect(describeUpdate(before, inst({ status: 2, metadata: { weight: "25", color: "red" } }))).toBe(
      "host-1 (status 1 -> 2, color (none) -> red, weight 10 -> 25)",
    );
    expect(describeUpdate(undefined, before)).toBe("host-1");
  });
});

describe("serveConsole's options", () => {
  it("names the wrong option", async () => {
    const naming = memoryNaming();
    await expect(serveConsole(naming, { apps: ["bad app"] })).rejects.toThrow(/apps/);
    await expect(serveConsole(naming, { token: "short" })).rejects.toThrow(/token/);
    await expect(serveConsole(naming, { ttlRefreshMs: 10 })).rejects.toThrow(/ttlRefreshMs/);
    const server = await serveConsole(naming, { port: 0, view: new ClientView() });
    await expect(serveConsole(naming, { port: server.port })).rejects.toThrow(/EADDRINUSE/);
    await server.close();
    await naming.close();
  });
});
