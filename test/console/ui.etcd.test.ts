// `rxnaming ui` and `rxnaming demo --ui` as a user runs them: the built command, a real etcd, a real browser.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdNaming, type Naming } from "../../src/index.js";
import { testInstance } from "../../src/testing/index.js";
import { buildCli, CliProcess, runCli, type BuiltCli } from "../harness/cli-process.js";
import { startEtcd, useHarnessCleanup, waitFor, type EtcdProcess } from "../harness/index.js";
import { launchBrowser } from "./browser.js";

useHarnessCleanup();

let cli: BuiltCli;
let etcd: EtcdProcess;
let naming: Naming;
let browser: Browser;
beforeAll(async () => {
  [cli, etcd, browser] = await Promise.all([buildCli(), startEtcd(), launchBrowser()]);
  naming = etcdNaming({ hosts: [etcd.endpoint] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await naming?.close();
  await cli?.remove();
});

describe("rxnaming ui", () => {
  it("prints its URL first (--port 0), finds every app under the prefix, writes only with the token", async () => {
    const sub = naming
      .register(testInstance({ appId: "shop.api", hostname: "host-1", addrs: ["grpc://10.0.0.1:9000"] }))
      .subscribe();
    const ui = new CliProcess(cli.main, [
      "ui",
      "--port",
      "0",
      "--allow-writes",
      "--endpoints",
      etcd.endpoint,
    ]);
    try {
      const [, url] = (await ui.waitForOutput(/^(http:\/\/127\.0\.0\.1:\d+\/)\n/)) as unknown as [
        string,
        string,
      ];
      const [, token] = (await ui.waitForOutput(/\nwrite token: (\S+)\n/)) as unknown as [string, string];
      const page = await browser.newPage();
      await page.goto(`${url}?app=shop.api`);
      await page.waitForSelector('tr[data-hostname="host-1"]');
      // An app that registers later shows up on its own.
      const later = naming
        .register(testInstance({ appId: "shop.web", hostname: "web-1", addrs: ["http://10.0.0.2:80"] }))
        .subscribe();
      await page.waitForSelector('li[data-app="shop.web"]');
      const post = (auth?: string): Promise<Response> =>
        fetch(new URL("/api/write", url), {
          method: "POST",
          headers: { "content-type": "application/json", ...(auth && { authorization: `Bearer ${auth}` }) },
          body: JSON.stringify({ appId: "shop.api", hostname: "host-1", weight: "7" }),
        });
      expect((await post()).status).toBe(401);
      expect((await post(token)).status).toBe(200);
      await waitFor(
        async () => (await page.locator('tr[data-hostname="host-1"] td').nth(4).textContent()) === "7",
      );
      await page.close();
      later.unsubscribe();
      ui.signal("SIGINT");
      expect((await ui.exit(10_000)).code).toBe(0);
    } finally {
      ui.kill();
      sub.unsubscribe();
    }
  });

  it("says what is wrong with its arguments", async () => {
    const zk = await runCli(cli.main, ["ui", "--zookeeper", "127.0.0.1:1"]);
    expect(zk.code).toBe(2);
    expect(zk.stderr).toMatch(/--app/);
    const port = await runCli(cli.main, ["ui", "--port", "99999"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/port/);
  });
});

describe("rxnaming demo --ui", () => {
  it("serves the demo's story live: instances come and go on the page, with the client's picks", async () => {
    const demo = new CliProcess(cli.main, ["demo", "--ui", "0", "--duration", "12s"]);
    try {
      const [, url] = (await demo.waitForOutput(
        /live in the browser at (http:\/\/127\.0\.0\.1:\d+\/)\n/,
      )) as unknown as [string, string];
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1280, height: 640 });
      await page.goto(`${url}?app=rxnaming.demo`);
      await waitFor(async () => (await page.locator("tr[data-hostname]").count()) >= 2, {
        timeoutMs: 10_000,
      });
      await waitFor(async () => Number((await page.locator("td.picks").first().textContent()) ?? "0") > 0, {
        timeoutMs: 5_000,
        message: "picks counted",
      });
      await waitFor(async () => (await page.locator("#history li").count()) >= 5, { timeoutMs: 10_000 });
      // The screenshot in docs/ is refreshed on demand (SCREENSHOTS=1), so a test run leaves the tree clean.
      if (process.env.SCREENSHOTS === "1") await page.screenshot({ path: "docs/console-demo.png" });
      await page.close();
      expect((await demo.exit(30_000)).code).toBe(0);
    } finally {
      demo.kill();
    }
  });

  it("ends the terminal demo with one line saying how to watch it in the browser", async () => {
    const run = await runCli(cli.main, ["demo", "--duration", "2s"], 30_000);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toMatch(
      /^Watch the same story in your browser: rxnaming demo --ui/,
    );
  });
});
