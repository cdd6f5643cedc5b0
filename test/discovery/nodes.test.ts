import { afterEach, beforeAll, expect, it } from "vitest";
import { discoveryNaming, type Naming, type NamingError } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { waitFor } from "../harness/wait-for.js";
import { FakeNode, type Misbehaviour } from "./fake-node.js";
import { describeWithDiscovery, ENV, served, ZONE } from "./support.js";

describeWithDiscovery("discovery: bad nodes and the one shared poll", () => {
  useHarnessCleanup();
  let server: DiscoveryProcess;
  const namings: Naming[] = [];
  const fakes: FakeNode[] = [];
  const naming = (nodes: string[], options: Partial<Parameters<typeof discoveryNaming>[0]> = {}): Naming => {
    const n = discoveryNaming({ nodes, zone: ZONE, env: ENV, lingerMs: 0, ...options });
    namings.push(n);
    return n;
  };
  beforeAll(async () => {
    server = await startDiscovery();
  });
  afterEach(async () => {
    await Promise.all(namings.splice(0).map((n) => n.close()));
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  const cases: [Misbehaviour, RegExp][] = [
    ["non-json", /a body that is not JSON: "ok, registered"/],
    ["unknown-code", /code -777 \("quota exhausted"\), a code this client does not know/],
    ["html", /HTTP 502 with an HTML page: "<html><head><title>502 Bad Gateway/],
    ["huge", /a body over 67108864 bytes/],
    ["hang", /no answer within 1000 ms/],
  ];
  it.each(cases)(
    "reports a node that answers %s on errors$, and works through the next",
    async (how, reason) => {
      const fake = await FakeNode.misbehaving(how);
      fakes.push(fake);
      const app = freshApp();
      // Reading 64 MiB on a loaded machine can take a second: only the hanging node gets a short deadline.
      const one = naming([fake.node, server.node], { requestTimeoutMs: how === "hang" ? 1_000 : 10_000 });
      const errors: NamingError[] = [];
      one.errors$.subscribe((e) => errors.push(e));
      one.register(inst(app, "h")).subscribe();
      const info = await until(one.build(app).instances$, (h) => h.includes("h"));
      expect(info.instances[0]!.addrs).toEqual(["grpc://127.0.0.1:9000"]);
      expect((await served(server.node, app)).map((i) => i.hostname)).toEqual(["h"]);
      const mine = errors.filter((e) => e.message.includes(fake.node));
      expect(mine.length).toBeGreaterThan(0);
      for (const e of mine)
        expect(e).toMatchObject({ _tag: "Backend", message: expect.stringMatching(reason) });
    },
  );

  it("keeps one poll in flight for 50 apps and 1,000 consumers, with each app's timestamp as the server wrote it", async () => {
    const proxy = await FakeNode.proxy(server.node);
    fakes.push(proxy);
    const apps = Array.from({ length: 50 }, () => freshApp("many"));
    const provider = naming([server.node]);
    for (const app of apps) provider.register(inst(app, "first")).subscribe();
    await waitFor(async () => (await served(server.node, apps[49]!)).length === 1);
    const consumer = naming([proxy.node]);
    const subs = [];
    const seen = new Set<string>();
    for (let c = 0; c < 1_000; c++) {
      const app = apps[c % 50]!;
      subs.push(
        consumer.build(app).instances$.subscribe((info) => {
          if (info.instances.length > 0) seen.add(app);
        }),
      );
    }
    await waitFor(() => seen.size === 50, { timeoutMs: 10_000, message: "every app's first set" });
    await waitFor(() => proxy.pollsInFlight === 1, { message: "the poll parked" });
    // Changes in ten apps while the poll is parked: still one poll at a time.
    proxy.maxPollsInFlight = 1;
    for (const app of apps.slice(0, 10)) provider.register(inst(app, "second")).subscribe();
    const changed = new Set<string>();
    for (const app of apps.slice(0, 10)) {
      consumer.build(app).instances$.subscribe((info) => {
        if (info.instances.length === 2) changed.add(app);
      });
    }
    await waitFor(() => changed.size === 10, {
      timeoutMs: 10_000,
      message: "the second instance seen in ten apps",
    });
    expect(proxy.maxPollsInFlight).toBe(1);
    expect(consumer.apps()).toHaveLength(50);
    // Each poll names all 50 apps with the timestamps the server gave, digit for digit.
    const last = proxy.polls[proxy.polls.length - 1]!;
    expect(last.getAll("appid")).toHaveLength(50);
    const text = await (await fetch(`${server.base}/fetchs?appid=${apps[20]}&env=${ENV}&status=1`)).text();
    const ts = /"latest_timestamp":(\d+)\}\}/.exec(text)![1]!;
    expect(last.getAll("latest_timestamp")[last.getAll("appid").indexOf(apps[20]!)]).toBe(ts);
    for (const s of subs) s.unsubscribe();
  });

  it("abandons a poll parked on a node that hangs within its hold plus the deadline, and goes on with the next node", async () => {
    const proxy = await FakeNode.proxy(server.node);
    fakes.push(proxy);
    const app = freshApp();
    naming([server.node]).register(inst(app, "a")).subscribe();
    const consumer = naming([proxy.node, server.node], { requestTimeoutMs: 1_000, emptyCheckMs: 1_000 });
    const errors: NamingError[] = [];
    consumer.errors$.subscribe((e) => errors.push(e));
    const info$ = consumer.build(app).instances$;
    info$.subscribe();
    await until(info$, (h) => h.join() === "a");
    await waitFor(() => proxy.pollsInFlight === 1, { message: "the poll parked on the proxy" });
    proxy.hanging = true;
    const hungAt = Date.now();
    naming([server.node]).register(inst(app, "b")).subscribe();
    await until(info$, (h) => h.join() === "a,b");
    // A hold of 1 s and a deadline of 1 s beyond it.
    expect(Date.now() - hungAt).toBeLessThan(4_000);
    expect(
      errors.some(
        (e) => e.message.includes(`polls on ${proxy.node}`) && /no answer within 2000 ms/.test(e.message),
      ),
    ).toBe(true);
  });

  it("reads apps that join one after another in few requests: a join does not restart a read in flight", async () => {
    const proxy = await FakeNode.proxy(server.node);
    fakes.push(proxy);
    const consumer = naming([proxy.node]);
    const firsts = new Set<string>();
    for (let a = 0; a < 30; a++) {
      const app = freshApp("joins");
      consumer.build(app).instances$.subscribe(() => firsts.add(app));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => firsts.size === 30, { message: "every app's first set" });
    expect(proxy.counts.get("fetchs")).toBeLessThan(15);
  });
});
