import { firstValueFrom, Subject, toArray } from "rxjs";
import { afterEach, beforeAll, expect, it } from "vitest";
import { discoveryNaming, type Instance, type Naming, type RegistrationEvent } from "../../src/index.js";
import { freshApp, inst, until } from "../contract/naming-contract.js";
import { startDiscovery, type DiscoveryProcess } from "../harness/discovery-process.js";
import { useHarnessCleanup } from "../harness/vitest.js";
import { waitFor } from "../harness/wait-for.js";
import { describeWithDiscovery, ENV, raw, served, ZONE } from "./support.js";

describeWithDiscovery("discovery: what Kratos services and rxnaming see of each other", () => {
  useHarnessCleanup();
  let server: DiscoveryProcess;
  const namings: Naming[] = [];
  const naming = (): Naming => {
    const n = discoveryNaming({ nodes: [server.node], zone: ZONE, env: ENV, lingerMs: 0 });
    namings.push(n);
    return n;
  };
  beforeAll(async () => {
    server = await startDiscovery();
  });
  afterEach(async () => {
    await Promise.all(namings.splice(0).map((n) => n.close()));
  });

  it("discovers a Kratos-shaped instance registered with raw HTTP, every field, its timestamp as the server wrote it", async () => {
    const app = freshApp();
    // What Kratos v1's client sends: form fields, status 1, metadata as JSON text, repeated addrs.
    const { answer } = await raw(server.node, "POST", "register", [
      ["region", "sh"],
      ["zone", "sh002"],
      ["env", ENV],
      ["appid", app],
      ["hostname", "kratos-1"],
      ["status", "1"],
      ["version", "v1.0.0"],
      ["metadata", JSON.stringify({ color: "red", weight: "20", cluster: "c1" })],
      ["addrs", "grpc://10.0.0.7:9000"],
      ["addrs", "http://10.0.0.7:8000"],
    ]);
    expect(answer.code).toBe(0);
    const info = await until(naming().build(app).instances$, (h) => h.length === 1);
    // The server's timestamp, read as text: beyond 2^53, a number keeps it to ~256 ns.
    const { text } = await raw(server.node, "GET", "fetchs", [
      ["appid", app],
      ["env", ENV],
      ["status", "1"],
    ]);
    const ts = /"latest_timestamp":(\d+)\}\]/.exec(text)![1]!;
    expect(BigInt(ts) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(info.instances[0]).toEqual({
      region: "sh",
      zone: "sh002",
      env: ENV,
      appId: app,
      hostname: "kratos-1",
      addrs: ["grpc://10.0.0.7:9000", "http://10.0.0.7:8000"],
      version: "v1.0.0",
      lastTs: Number(ts),
      metadata: { color: "red", weight: "20", cluster: "c1" },
      status: 1,
    } satisfies Instance);
  });

  it("registers every field for Kratos' fetchs to read back, defaulting zone and env to the naming's", async () => {
    const app = freshApp();
    const events: RegistrationEvent[] = [];
    const full = inst(app, "full", {
      region: "bj",
      zone: "bj01",
      env: ENV,
      version: "v2.3.4",
      addrs: ["grpc://127.0.0.1:9100", "http://127.0.0.1:8100"],
      metadata: { color: "blue", weight: "5" },
    });
    naming()
      .register(full)
      .subscribe((e) => events.push(e));
    naming().register(inst(app, "plain")).subscribe();
    const [read, plain] = await waitFor(
      async () => {
        const all = await served(server.node, app);
        return all.length === 2
          ? [all.find((i) => i.hostname === "full")!, all.find((i) => i.hostname === "plain")!]
          : undefined;
      },
      { message: "both registrations on the server" },
    );
    expect(read).toMatchObject({
      region: "bj",
      zone: "bj01",
      env: ENV,
      appid: app,
      hostname: "full",
      addrs: ["grpc://127.0.0.1:9100", "http://127.0.0.1:8100"],
      version: "v2.3.4",
      metadata: { color: "blue", weight: "5" },
      status: 1,
    });
    expect(plain).toMatchObject({ zone: ZONE, env: ENV, region: "", status: 1 });
    expect(events.map((e) => e.type)).toEqual(["registered"]);
  });

  it("updates status and metadata with set, keeping the registration; other fields register again", async () => {
    const app = freshApp();
    const source = new Subject<Instance>();
    const events: RegistrationEvent[] = [];
    naming()
      .register(source)
      .subscribe((e) => events.push(e));
    const info$ = naming().build(app).instances$;
    source.next(inst(app, "h", { metadata: { color: "blue" } }));
    await until(info$, (h) => h.length === 1);
    const registeredAt = (await served(server.node, app))[0]!.reg_timestamp;
    source.next(inst(app, "h", { metadata: { color: "green", weight: "3" } }));
    await waitFor(async () => (await firstValueFrom(info$)).instances[0]?.metadata.color === "green", {
      message: "the new metadata seen",
    });
    expect((await served(server.node, app))[0]!.reg_timestamp).toBe(registeredAt);
    source.next(inst(app, "h", { metadata: { color: "green", weight: "3" }, version: "v2" }));
    await waitFor(async () => (await firstValueFrom(info$)).instances[0]?.version === "v2", {
      message: "v2 seen",
    });
    expect(events.map((e) => e.type)).toEqual(["registered", "updated", "updated"]);
  });

  it("ends a registration the server refuses (-400) with an error naming the server's message", async () => {
    const app = freshApp();
    const error = await firstValueFrom(
      naming()
        .register(inst(app, "h", { addrs: [] }))
        .pipe(toArray()),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      _tag: "Backend",
      recoverable: false,
      message: expect.stringMatching(/Addrs/),
    });
  });
});
