// The console on a real etcd: apps found under the prefix, lease TTLs counting down, writes in place.
import { Etcd3 } from "etcd3";
import type { Browser, Page } from "playwright-core";
import { filter, firstValueFrom } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdNaming, type Naming, type RegistrationEvent } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { etcdFleet, serveConsole, type ConsoleServer } from "../../src/console/index.js";
import { testInstance } from "../../src/testing/index.js";
import { startEtcd, useHarnessCleanup, waitFor, type EtcdProcess } from "../harness/index.js";
import { launchBrowser } from "./browser.js";

useHarnessCleanup();

let etcd: EtcdProcess;
let client: Etcd3;
let naming: Naming;
let browser: Browser;
let server: ConsoleServer;
beforeAll(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: [etcd.endpoint] });
  naming = etcdNaming(client, { ttlSeconds: 30 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await naming?.close();
  client?.close();
});

const ttlOf = async (page: Page, hostname: string): Promise<number> => {
  const text = (await page.locator(`td[data-ttl="${hostname}"]`).textContent()) ?? "";
  const match = /^(\d+\.\d) s \/ (\d+) s$/.exec(text);
  if (match === null) throw new Error(`no TTL shown: "${text}"`);
  return Number(match[1]);
};

describe("the console on etcd", () => {
  it("finds apps nobody watches, counts a lease's TTL down until the key expires, and writes in place with the token", async () => {
    const events: RegistrationEvent[] = [];
    let failure: unknown;
    const owned = naming
      .register(testInstance({ appId: "shop.api", hostname: "host-1", addrs: ["grpc://10.0.0.1:9000"] }))
      .subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
    await waitFor(() => events.some((e) => e.type === "registered"));
    // Another process's key, under a lease that nobody keeps alive: it expires by itself.
    const lease = client.lease(4, { autoKeepAlive: false });
    const fading = testInstance({
      appId: "batch.job",
      hostname: "worker-1",
      addrs: ["grpc://10.0.0.2:9000"],
    });
    await lease.put("/kratos_etcd/batch.job/worker-1").value(encodeInstance(fading));

    server = await serveConsole(naming, {
      port: 0,
      fleet: etcdFleet(client),
      allowWrites: true,
      ttlRefreshMs: 60_000,
    });
    const page = await browser.newPage();
    await page.goto(`${server.url}?app=batch.job`);
    await page.waitForSelector('li[data-app="shop.api"]');
    await page.waitForSelector('li[data-app="batch.job"]');

    // The page counts down from the one answer it got (the next is a minute away).
    const first = await waitFor(() => ttlOf(page, "worker-1"), { message: "a TTL shown" });
    expect(first).toBeLessThanOrEqual(4);
    await waitFor(async () => (await ttlOf(page, "worker-1")) < first - 0.5, {
      message: "the TTL going down",
    });
    // When the lease runs out, etcd deletes the key and the row goes.
    await page.waitForSelector('tr[data-hostname="worker-1"]', { state: "detached", timeout: 10_000 });
    expect(await page.locator("#history li").first().textContent()).toContain("-worker-1");

    // A write with the token: drain host-1. The key keeps its owner's lease; the owner goes on.
    await page.goto(`${server.url}?app=shop.api`);
    await waitFor(() => ttlOf(page, "host-1"));
    expect(await ttlOf(page, "host-1")).toBeGreaterThan(20);
    await page.fill("#token", server.token!);
    await page.locator('tr[data-hostname="host-1"] input').fill("25");
    await page.locator('tr[data-hostname="host-1"] button', { hasText: "set weight" }).click();
    await waitFor(
      async () => (await page.locator('tr[data-hostname="host-1"] td').nth(4).textContent()) === "25",
    );
    await page.locator('tr[data-hostname="host-1"] button.drain').click();
    await waitFor(
      async () => (await page.locator('tr[data-hostname="host-1"] td').nth(3).textContent()) === "2",
    );
    const registered = events.find((e) => e.type === "registered")!;
    const kv = (await client.get("/kratos_etcd/shop.api/host-1").exec()).kvs[0]!;
    expect(kv.lease).toBe(registered.type === "registered" ? registered.leaseId : "");
    expect(JSON.parse(kv.value.toString())).toMatchObject({ status: 2, metadata: { weight: "25" } });
    expect(failure).toBeUndefined();
    expect(events.filter((e) => e.type !== "registered")).toEqual([]);
    expect(await page.locator("#history li").first().textContent()).toContain("~host-1 (status 1 -> 2)");
    // The screenshot in docs/ is refreshed on demand (SCREENSHOTS=1), so a test run leaves the tree clean.
    if (process.env.SCREENSHOTS === "1") await page.screenshot({ path: "docs/console-etcd.png" });
    await page.close();
    owned.unsubscribe();
  });
});

describe("etcdFleet", () => {
  it("lists the apps whose keys fit the layout, in every layout, and follows new ones", async () => {
    await client.put("/fleet_test/a.app/h1").value("{}");
    await client.put("/fleet_test/loose").value("{}"); // no app: not a key of the layout
    await client.put("fleet_test_other/b.app/h1").value("{}"); // beside the prefix, not under it
    const v1 = etcdFleet(client, { prefix: "fleet_test" });
    await client.put("svc/echo/10.0.0.1:9000").value('{"Op":0,"Addr":"10.0.0.1:9000"}');
    const endpoints = etcdFleet(client, { layout: "etcd-endpoints" });
    try {
      const listed = (fleet: typeof v1, app: string): Promise<readonly string[]> =>
        firstValueFrom(fleet.apps$.pipe(filter((apps) => apps.includes(app))));
      expect(await listed(v1, "a.app")).toEqual(["a.app"]);
      await client.put("/fleet_test/c.app/h9").value("{}");
      expect(await listed(v1, "c.app")).toEqual(["a.app", "c.app"]);
      // etcd's own naming keeps the whole target as the app: it may hold "/".
      expect(await listed(endpoints, "svc/echo")).toContain("svc/echo");
    } finally {
      v1.close?.();
      endpoints.close?.();
    }
  });
});
