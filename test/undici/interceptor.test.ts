import { Readable } from "node:stream";
import { map, type OperatorFunction } from "rxjs";
import { Agent, fetch, request, type Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import * as O from "fp-ts/lib/Option.js";
import {
  memoryNaming,
  roundRobin,
  type InstancesInfo,
  type Naming,
  type Picker,
  type PickResult,
} from "../../src/index.js";
import { testInstance } from "../../src/testing/index.js";
import { namingInterceptor, type NamingInterceptor } from "../../src/undici/index.js";
import { waitFor } from "../harness/wait-for.js";
import { startServer, type NamedServer } from "./servers.js";

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/**
 * How the caller's handler reaches the interceptor: with undici's callbacks (`onConnect`,
 * `onHeaders`, ..., as `fetch` and `request` make it), or with its controller API only
 * (`onRequestStart`, `onResponseStart`, ..., as undici's own interceptors make it).
 */
const HANDLERS = ["callbacks", "controller"] as const;
type Handlers = (typeof HANDLERS)[number];

/** Composed outside namingInterceptor: hands it a handler of the controller API only. */
const controllerOnly: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
  dispatch(options, {
    onRequestStart: (c, context) => handler.onRequestStart?.(c, context),
    onRequestUpgrade: (c, status, headers, socket) => handler.onRequestUpgrade?.(c, status, headers, socket),
    onResponseStart: (c, status, headers, message) => handler.onResponseStart?.(c, status, headers, message),
    onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
    onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
    onResponseError: (c, error) => handler.onResponseError?.(c, error),
  });

const setUp = async (
  names: string[],
  options: Parameters<typeof namingInterceptor>[1] = {},
  handlers: Handlers = "callbacks",
): Promise<{ naming: Naming; servers: NamedServer[]; agent: Agent; interceptor: NamingInterceptor }> => {
  const naming = memoryNaming();
  const servers = await Promise.all(names.map(startServer));
  const interceptor = namingInterceptor(naming, options);
  const agent = (
    handlers === "callbacks"
      ? new Agent().compose(interceptor)
      : new Agent().compose(interceptor, controllerOnly)
  ) as Agent;
  cleanup.push(
    () => Promise.all(servers.map((s) => s.stop())),
    () => naming.close(),
    () => interceptor.close(),
    () => agent.close(),
  );
  return { naming, servers, agent, interceptor };
};

const register = (naming: Naming, appId: string, hostname: string, addr: string) => {
  const sub = naming.register(testInstance({ appId, hostname, addrs: [addr] })).subscribe();
  cleanup.push(() => sub.unsubscribe());
  return sub;
};

const text = async (url: string, agent: Agent, init: Parameters<typeof fetch>[1] = {}): Promise<string> =>
  (await fetch(url, { ...init, dispatcher: agent })).text();

describe("namingInterceptor", () => {
  it.each(HANDLERS)(
    "sends http://<appid>/ to an instance of the app, keeping the Host header the caller wrote (handler: %s)",
    async (handlers) => {
      const { naming, servers, agent } = await setUp(["a"], {}, handlers);
      register(naming, "demo.service", "h-a", servers[0]!.addr);
      expect(await text("http://demo.service/users/1", agent)).toBe("a");
      expect(servers[0]!.lastHost).toBe("demo.service");
      const res = await request("http://demo.service/x", { dispatcher: agent, headers: { host: "custom" } });
      expect(await res.body.text()).toBe("a");
      expect(servers[0]!.lastHost).toBe("custom");
    },
  );

  it("passes hosts that are not app names through untouched", async () => {
    const { servers, agent } = await setUp(["direct"], { apps: ["demo.service"] });
    expect(await text(`${servers[0]!.addr}/`, agent)).toBe("direct");
    expect(servers[0]!.lastHost).toBe(`127.0.0.1:${servers[0]!.port}`);
  });

  it.each(HANDLERS)(
    "with no instance, fails at once with an error naming the app, not a DNS error (handler: %s)",
    async (handlers) => {
      const { agent } = await setUp([], {}, handlers);
      const started = Date.now();
      const error = await fetch("http://ghost.app/", { dispatcher: agent }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect((error?.cause as Error | undefined)?.message).toMatch(/no instance of ghost\.app/);
    },
  );

  it("spreads requests over the instances, and follows them as they come and go", async () => {
    const { naming, servers, agent } = await setUp(["a", "b"], { balancer: "round_robin" });
    const a = register(naming, "demo", "h-a", servers[0]!.addr);
    register(naming, "demo", "h-b", servers[1]!.addr);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await text("http://demo/", agent));
    expect([...seen].sort()).toEqual(["a", "b"]);
    a.unsubscribe();
    const after = servers[0]!.requests;
    for (let i = 0; i < 6; i++) expect(await text("http://demo/", agent)).toBe("b");
    expect(servers[0]!.requests).toBe(after);
  });

  it("lets the requests in flight to a leaving instance end, and sends new ones elsewhere at once", async () => {
    const { naming, servers, agent } = await setUp(["slow", "other"]);
    servers[0]!.delayMs = 400;
    const slow = register(naming, "demo", "h-slow", servers[0]!.addr);
    const inFlight = text("http://demo/", agent);
    await waitFor(() => servers[0]!.inFlight === 1, { timeoutMs: 2_000 });
    register(naming, "demo", "h-other", servers[1]!.addr);
    slow.unsubscribe();
    expect(await text("http://demo/", agent)).toBe("other");
    expect(await inFlight).toBe("slow");
  });

  it.each(HANDLERS)(
    "retries an idempotent request once on another instance when the connection is refused (handler: %s)",
    async (handlers) => {
      const { naming, servers, agent } = await setUp(["live", "dead"], { balancer: "round_robin" }, handlers);
      const deadAddr = servers[1]!.addr;
      await servers[1]!.stop(); // its port now refuses connections
      register(naming, "demo", "h-dead", deadAddr);
      register(naming, "demo", "h-live", servers[0]!.addr);
      for (let i = 0; i < 10; i++) expect(await text("http://demo/", agent)).toBe("live");
      // request() hands the interceptor a string body, which can be sent twice (fetch makes every body a stream).
      for (let i = 0; i < 4; i++) {
        const res = await request("http://demo/", { dispatcher: agent, method: "PUT", body: "x" });
        expect(await res.body.text()).toBe("live");
      }
    },
  );

  it.each(HANDLERS)(
    "does not retry a request that is not idempotent, nor one whose body is a stream (handler: %s)",
    async (handlers) => {
      // Ejection off: every other request must reach the dead instance, so that each one counts.
      const { naming, servers, agent } = await setUp(
        ["live", "dead"],
        { balancer: roundRobin({ addrScheme: "http", ejection: false }) },
        handlers,
      );
      const deadAddr = servers[1]!.addr;
      await servers[1]!.stop();
      register(naming, "demo", "h-dead", deadAddr);
      register(naming, "demo", "h-live", servers[0]!.addr);
      const outcomes = async (send: () => Promise<unknown>): Promise<string[]> => {
        const results: string[] = [];
        for (let i = 0; i < 6; i++)
          results.push(
            await send().then(
              () => "ok",
              (e: Error) => e.name,
            ),
          );
        return results;
      };
      const posts = await outcomes(() => text("http://demo/", agent, { method: "POST", body: "x" }));
      expect(posts.filter((r) => r !== "ok")).toHaveLength(3);
      const streams = await outcomes(() =>
        request("http://demo/", { dispatcher: agent, method: "PUT", body: Readable.from(["a", "b"]) }).then(
          (r) => r.body.text(),
        ),
      );
      expect(streams.filter((r) => r !== "ok")).toHaveLength(3);
    },
  );

  it.each(HANDLERS)(
    "tells the balancer how each request went: 5xx and refused connections are failures, 4xx are not (handler: %s)",
    async (handlers) => {
      const reports: { hostname: string; failed: boolean }[] = [];
      const recording: OperatorFunction<InstancesInfo, Picker> = (sets) =>
        sets.pipe(
          roundRobin({ addrScheme: "http" }),
          map((picker) => ({
            pick: (req) => {
              const picked = picker.pick(req);
              if (picked._tag === "None") return picked;
              const p = picked.value;
              return {
                _tag: "Some" as const,
                value: {
                  instance: p.instance,
                  addr: p.addr,
                  done: (result = {}) => {
                    reports.push({ hostname: p.instance.hostname, failed: result.error !== undefined });
                    p.done(result);
                  },
                },
              };
            },
          })),
        );
      const { naming, servers, agent } = await setUp(
        ["ok", "broken", "client-error"],
        { balancer: recording },
        handlers,
      );
      servers[1]!.status = 503;
      servers[2]!.status = 404;
      register(naming, "demo", "h-ok", servers[0]!.addr);
      register(naming, "demo", "h-broken", servers[1]!.addr);
      register(naming, "demo", "h-client-error", servers[2]!.addr);
      for (let i = 0; i < 6; i++) await text("http://demo/", agent);
      expect(reports).toHaveLength(6);
      expect(reports.filter((r) => r.failed).map((r) => r.hostname)).toEqual(["h-broken", "h-broken"]);
    },
  );

  it("tells the balancer that a failed instance drawn again for the retry was not sent to", async () => {
    const reports: { hostname: string; result: PickResult }[] = [];
    // Draws the dead instance, then (for the retry) the dead one again before the live one.
    const script = ["h-dead", "h-dead", "h-live"];
    const scripted: OperatorFunction<InstancesInfo, Picker> = (sets) =>
      sets.pipe(
        map((info) => ({
          pick: () => {
            const instance = info.instances.find((i) => i.hostname === script[0])!;
            script.push(script.shift()!);
            const done = (result: PickResult = {}) =>
              void reports.push({ hostname: instance.hostname, result });
            return O.some({ instance, addr: instance.addrs[0]!, done });
          },
        })),
      );
    const { naming, servers, agent } = await setUp(["live", "dead"], { balancer: scripted });
    const deadAddr = servers[1]!.addr;
    await servers[1]!.stop();
    register(naming, "demo", "h-dead", deadAddr);
    register(naming, "demo", "h-live", servers[0]!.addr);
    expect(await text("http://demo/", agent)).toBe("live");
    expect(reports.map((r) => [r.hostname, r.result.error !== undefined, r.result.notSent === true])).toEqual(
      [
        ["h-dead", true, false],
        ["h-dead", false, true],
        ["h-live", false, false],
      ],
    );
  });

  it("gives a slow instance (200 ms) under 10% of p2c's requests among fast ones", async () => {
    const { naming, servers, agent } = await setUp(["slow", "f1", "f2", "f3"]);
    servers[0]!.delayMs = 200;
    servers.forEach((s) => register(naming, "demo", `h-${s.name}`, s.addr));
    const workers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 60; i++) await text("http://demo/", agent);
    });
    await Promise.all(workers);
    const total = servers.reduce((n, s) => n + s.requests, 0);
    expect(total).toBe(240);
    expect(servers[0]!.requests / total).toBeLessThan(0.1);
  });

  it("reports instances without an http address, and does not send to them", async () => {
    const { naming, servers, agent, interceptor } = await setUp(["a"]);
    const errors: string[] = [];
    interceptor.errors$.subscribe((e) => errors.push(e.message));
    register(naming, "demo", "h-grpc", "grpc://127.0.0.1:9");
    register(naming, "demo", "h-a", servers[0]!.addr);
    for (let i = 0; i < 4; i++) expect(await text("http://demo/", agent)).toBe("a");
    expect(errors).toEqual([expect.stringMatching(/demo\/h-grpc has no http:\/\/ or https:\/\/ address/)]);
  });
});

describe("namingInterceptor's options", () => {
  it("are checked when it is made: each a NamingError of tag InvalidOption naming the option", () => {
    const naming = memoryNaming();
    cleanup.push(() => naming.close());
    const attempt = (f: () => unknown) => {
      try {
        f();
        return undefined;
      } catch (e) {
        return e as { _tag: string; message: string };
      }
    };
    expect(attempt(() => namingInterceptor(null as never))).toMatchObject({ _tag: "InvalidOption" });
    expect(attempt(() => namingInterceptor(naming, { balancr: "p2c" } as never))).toMatchObject({
      _tag: "InvalidOption",
      message: expect.stringMatching(/balancr is not an option.*did you mean "balancer"/),
    });
    expect(attempt(() => namingInterceptor(naming, null as never))).toMatchObject({
      _tag: "InvalidOption",
      field: "namingInterceptor options",
    });
    expect(attempt(() => namingInterceptor(naming, { firstSetTimeoutMs: "5000" as never }))).toMatchObject({
      _tag: "InvalidOption",
      field: "firstSetTimeoutMs",
      message: expect.stringMatching(/firstSetTimeoutMs must be a number > 0 ms, got a string/),
    });
    expect(attempt(() => namingInterceptor(naming, { firstSetTimeoutMs: 0 }))).toMatchObject({
      field: "firstSetTimeoutMs",
    });
    expect(attempt(() => namingInterceptor(naming, { balancer: "ring_hash" }))).toMatchObject({
      _tag: "InvalidOption",
      message: expect.stringMatching(/hashKey/),
    });
    expect(attempt(() => namingInterceptor(naming, { balancer: "fastest" as never }))).toMatchObject({
      message: expect.stringMatching(/balancer must be/),
    });
  });
});
