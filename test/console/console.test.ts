import { get as httpGet } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { firstValueFrom, filter } from "rxjs";
import { instance, memoryNaming, roundRobin, type Instance, type Naming } from "../../src/index.js";
import { MemoryStore } from "../../src/testing/index.js";
import { serveConsole, type ConsoleServer } from "../../src/console/index.js";
import { waitFor } from "../harness/wait-for.js";
import { launchBrowser } from "./browser.js";

const inst = (hostname: string, extra: Partial<Instance> = {}): Instance => {
  const made = instance({
    appId: "shop.api",
    hostname,
    zone: "sh001",
    addrs: [`grpc://10.0.0.1:${9000}`],
    ...extra,
  });
  if (made._tag === "Left") throw made.left;
  return made.right;
};

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

describe("the console in a browser (memory naming)", () => {
  let naming: Naming;
  let server: ConsoleServer | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    await server?.close();
    await naming.close();
    page = undefined;
    server = undefined;
  });

  const open = async (app?: string): Promise<Page> => {
    page = await browser.newPage();
    await page.goto(server!.url + (app === undefined ? "" : `?app=${encodeURIComponent(app)}`));
    await page.waitForSelector("#status.live");
    return page;
  };
  const count = (p: Page, app: string): Promise<string | null> =>
    p.locator(`li[data-app="${app}"] .count`).textContent({ timeout: 5_000 });

  it("loads, and shows a registration and a removal live, with the history", async () => {
    naming = memoryNaming();
    const first = naming.register(inst("host-1")).subscribe();
    server = await serveConsole(naming, { port: 0, apps: ["shop.api", "shop.web"] });
    const p = await open("shop.api");
    // Pushed, not polled: after the page and its two event streams, the page asks for nothing.
    const requests: string[] = [];
    p.on("request", (r) => requests.push(r.url()));
    expect(await count(p, "shop.api")).toBe("1");
    expect(await count(p, "shop.web")).toBe("0");

    const second = naming.register(inst("host-2", { version: "v2", metadata: { weight: "30" } })).subscribe();
    await p.waitForSelector('tr[data-hostname="host-2"]');
    expect(await count(p, "shop.api")).toBe("2");
    const cells = await p.locator('tr[data-hostname="host-2"] td').allTextContents();
    expect(cells.slice(0, 5)).toEqual(["host-2", "sh001", "v2", "1", "30"]);
    expect(await p.locator("#history li").first().textContent()).toContain("+host-2");

    second.unsubscribe();
    await p.waitForSelector('tr[data-hostname="host-2"]', { state: "detached" });
    expect(await count(p, "shop.api")).toBe("1");
    expect(await p.locator("#history li").first().textContent()).toContain("-host-2");
    expect(requests).toEqual([]);
    first.unsubscribe();
  });

  it("shows hostile values as text: markup is not run, control characters are visible", async () => {
    const store = new MemoryStore();
    naming = memoryNaming({ store });
    const hostile = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>";
    const sub = naming
      .register(inst("host-1", { version: hostile, metadata: { note: hostile } }))
      .subscribe();
    // Another writer's value, as it lies in the store: markup in every field it may hold.
    const raw = { appid: "shop.api", hostname: "host-2", zone: "<b>sh001</b>", metadata: { m: "<i>&amp;" } };
    store.put("/kratos_etcd/shop.api/host-2", JSON.stringify(raw));
    server = await serveConsole(naming, { port: 0, apps: ["shop.api"] });
    // The client's view carries strings the caller chose (a health checker's words): ANSI included.
    server.view.report(
      { appId: "shop.api", hostname: "host-1" },
      { health: "\u001b[31mNOT_SERVING\u001b[0m" },
    );
    const p = await open("shop.api");
    const row = p.locator('tr[data-hostname="host-1"]');
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[2]).toBe(hostile);
    expect(cells[6]).toBe(`note=${hostile}`);
    await waitFor(async () => (await row.locator("td").nth(12).textContent())?.includes("NOT_SERVING"));
    expect(await row.locator("td").nth(12).textContent()).toContain("\\u001b[31mNOT_SERVING\\u001b[0m");
    const other = await p.locator('tr[data-hostname="host-2"] td').allTextContents();
    expect(other[1]).toBe("<b>sh001</b>");
    expect(other[6]).toBe("m=<i>&amp;");
    expect(await p.locator("#instances b, #instances i").count()).toBe(0);
    expect(await p.evaluate("typeof window.pwned")).toBe("undefined");
    expect(await p.locator("script").count()).toBe(1);
    sub.unsubscribe();
  });

  it("shows the client's view: picks, errors and latency per instance from a tracked balancer", async () => {
    naming = memoryNaming();
    const subs = [naming.register(inst("host-1")).subscribe(), naming.register(inst("host-2")).subscribe()];
    server = await serveConsole(naming, { port: 0, apps: ["shop.api"] });
    const picker = await firstValueFrom(
      naming.build("shop.api").instances$.pipe(
        filter((i) => i.instances.length === 2),
        roundRobin(),
        server.view.track(),
      ),
    );
    let failed = 0;
    for (let i = 0; i < 10; i++) {
      const pick = picker.pick();
      if (pick._tag === "None") throw new Error("no pick");
      const fail = pick.value.instance.hostname === "host-1" && failed++ < 2;
      pick.value.done(fail ? { error: new Error("boom"), latencyMs: 8 } : { latencyMs: 8 });
    }
    const p = await open("shop.api");
    const row = p.locator('tr[data-hostname="host-1"]');
    await waitFor(async () => (await row.locator("td.picks").textContent()) === "5", {
      message: "5 picks shown",
    });
    expect(await row.locator("td.errors").textContent()).toBe("2");
    expect(await row.locator("td").nth(11).textContent()).toBe("8.0 ms");
    subs.forEach((s) => s.unsubscribe());
  });

  it("refuses a write without the token, in the page and over HTTP; with writes off, nothing writes", async () => {
    naming = memoryNaming();
    const sub = naming.register(inst("host-1")).subscribe();
    server = await serveConsole(naming, { port: 0, apps: ["shop.api"], allowWrites: true });
    const p = await open("shop.api");
    await p.locator('tr[data-hostname="host-1"] button.drain').click();
    await waitFor(async () => (await p.locator("#message").textContent())?.includes("refused (401)"));
    const post = (token?: string): Promise<Response> =>
      fetch(new URL("/api/write", server!.url), {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ appId: "shop.api", hostname: "host-1", status: 2 }),
      });
    expect((await post()).status).toBe(401);
    expect((await post("x".repeat(32))).status).toBe(401);
    // The right token passes the check; the memory naming offers the console no writes.
    expect((await post(server.token)).status).toBe(501);
    await server.close();

    server = await serveConsole(naming, { port: 0, apps: ["shop.api"] });
    expect(server.token).toBeUndefined();
    expect((await post("x".repeat(32))).status).toBe(403);
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      expect((await fetch(new URL("/events", server.url), { method })).status).toBe(405);
    }
    sub.unsubscribe();
  });
});

describe("serveConsole's guards", () => {
  it("binds to loopback, refuses other Host names, and checks its options", async () => {
    const naming = memoryNaming({ store: new MemoryStore() });
    const server = await serveConsole(naming, { port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(server.url);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
    const rebound = await new Promise<number | undefined>((resolve, reject) =>
      httpGet(server.url, { headers: { host: `evil.example:${server.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject),
    );
    expect(rebound).toBe(421);
    await server.close();
    await expect(serveConsole(naming, { port: 70_000 })).rejects.toThrow(/port/);
    await expect(serveConsole(naming, { colour: "red" } as never)).rejects.toThrow(/colour/);
    await naming.close();
  });
});
