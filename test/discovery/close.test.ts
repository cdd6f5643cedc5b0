import { spawn } from "node:child_process";
import { once } from "node:events";
import { beforeAll, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { buildRxnaming } from "../harness/naming-process.js";
import { trackChild } from "../harness/registry.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { describeWithDiscovery, served } from "./support.js";

// Registers, watches, and soon after it sees itself closes the naming, leaving the process to end on
// its own: it prints the time it closed.
const PROGRAM = `
const [dist, node, app] = process.argv.slice(1);
const { discoveryNaming, instance } = await import(dist);
// Polls held 20 s: one left running would keep the process that long.
const naming = discoveryNaming({ nodes: [node], zone: "sh001", env: "dev", pollHoldMs: 20_000, emptyCheckMs: 20_000 });
const self = instance({ appId: app, hostname: "self", addrs: ["grpc://127.0.0.1:9000"] });
naming.register(self.right).subscribe();
const sub = naming.build(app).instances$.subscribe((info) => {
  if (info.instances.length !== 1) return;
  queueMicrotask(() => sub.unsubscribe());
  // Half a second on: the next poll is parked on the server by then.
  setTimeout(() => void naming.close().then(() => console.log("closed " + Date.now())), 500);
});
`;

describeWithDiscovery("discovery: close()", () => {
  useHarnessCleanup();
  let server: DiscoveryProcess;
  beforeAll(async () => {
    server = await startDiscovery();
  });

  it("cancels every registration and aborts the poll: nothing keeps the process alive", async () => {
    const dist = await buildRxnaming();
    const app = freshApp();
    const child = spawn(process.execPath, ["--input-type=module", "-e", PROGRAM, dist, server.node, app], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    trackChild(child);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const [code] = (await Promise.race([
      once(child, "exit"),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`still running: ${out}`)), 15_000)),
    ])) as [number];
    const exitedAt = Date.now();
    expect(code).toBe(0);
    const closedAt = Number(/closed (\d+)/.exec(out)?.[1]);
    // The renew interval is 30 s and a poll is held 20 s: neither outlives close().
    expect(exitedAt - closedAt).toBeLessThan(2_000);
    expect(await served(server.node, app)).toEqual([]);
  });
});
