import { firstValueFrom, type Subscription } from "rxjs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { discoveryNaming, type Naming, type NamingError, type RegistrationEvent } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { waitFor } from "../harness/wait-for.js";
import { describeWithDiscovery, ENV, raw, served, ZONE } from "./support.js";

describeWithDiscovery("discovery: server restart and the last instance", () => {
  useHarnessCleanup("each");
  let server: DiscoveryProcess;
  const namings: Naming[] = [];
  const subs: Subscription[] = [];
  const naming = (options: Partial<Parameters<typeof discoveryNaming>[0]> = {}): Naming => {
    const n = discoveryNaming({ nodes: [server.node], zone: ZONE, env: ENV, lingerMs: 0, ...options });
    namings.push(n);
    return n;
  };
  beforeEach(async () => {
    server = await startDiscovery();
  });
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    await Promise.all(namings.splice(0).map((n) => n.close()));
  });

  it("registers every instance again within one renew interval + 1 s of a SIGKILLed server's restart, keeping consumers' sets meanwhile", async () => {
    const app = freshApp();
    const renewIntervalMs = 1_000;
    const provider = naming({ renewIntervalMs });
    const events: RegistrationEvent[][] = [[], [], []];
    ["a", "b", "c"].forEach((h, n) => {
      subs.push(provider.register(inst(app, h)).subscribe((e) => events[n]!.push(e)));
    });
    const consumer = naming();
    const errors: NamingError[] = [];
    subs.push(consumer.errors$.subscribe((e) => errors.push(e)));
    const info$ = consumer.build(app).instances$;
    subs.push(info$.subscribe());
    await until(info$, (h) => h.length === 3);

    await server.kill();
    // The consumer notices (its poll fails) and keeps the set it had.
    await waitFor(() => errors.some((e) => e.message.includes(server.node)), { timeoutMs: 10_000 });
    expect((await firstValueFrom(info$)).instances.map((i) => i.hostname)).toEqual(["a", "b", "c"]);

    await server.start();
    const back = Date.now();
    await waitFor(async () => (await served(server.node, app)).length === 3, {
      timeoutMs: 10_000,
      intervalMs: 20,
      message: "every registration back on the restarted server",
    });
    expect(Date.now() - back).toBeLessThan(renewIntervalMs + 1_000);
    for (const e of events) expect(e.map((x) => x.type)).toEqual(["registered", "lost", "registered"]);
    await until(info$, (h) => h.length === 3);
  });

  it("empties the set within 3 s when the app's last instance is cancelled (Kratos' client keeps the stale set)", async () => {
    const app = freshApp();
    const info$ = naming().build(app).instances$;
    subs.push(info$.subscribe());
    // Registered by another program, and cancelled by it, as curl would.
    const fields: [string, string][] = [
      ["zone", ZONE],
      ["env", ENV],
      ["appid", app],
      ["hostname", "only"],
    ];
    await raw(server.node, "POST", "register", [
      ...fields,
      ["status", "1"],
      ["addrs", "grpc://127.0.0.1:9000"],
    ]);
    await until(info$, (h) => h.length === 1);
    const cancelled = Date.now();
    await raw(server.node, "POST", "cancel", fields);
    await until(info$, (h) => h.length === 0);
    expect(Date.now() - cancelled).toBeLessThan(3_000);

    // And by a registration of this naming that ends.
    const sub = naming().register(inst(app, "mine")).subscribe();
    await until(info$, (h) => h.length === 1);
    sub.unsubscribe();
    const ended = Date.now();
    await until(info$, (h) => h.length === 0);
    expect(Date.now() - ended).toBeLessThan(3_000);
  });
});
