// gRPC targets work whatever the naming's key layout, appids with "/" included (etcd targets and
// go-zero keys): the resolver only asks the naming, which reads and writes in its layout.
import type * as grpc from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { memoryNaming, registerGrpcResolver, type LayoutName, type Naming } from "../../src/index.js";
import { waitFor } from "../harness/wait-for.js";
import { call, client, startEcho, type EchoServer } from "./echo.js";
import { Registrations } from "./scenario.js";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.each([
  ["kratos-v2", "grpc.layouts.v2", "memkv2"],
  ["etcd-endpoints", "svc/grpc.layouts/echo", "memendpoints"],
  ["go-zero", "app/grpc.layouts.rpc", "memgozero"],
] as [LayoutName, string, string][])("on the %s layout", (layout, appId, scheme) => {
  it(`${scheme}:///${appId} reaches the registered server and fails fast once it is gone`, async () => {
    const naming: Naming = memoryNaming({ layout, lingerMs: 0 });
    cleanups.push(() => naming.close());
    await registerGrpcResolver(naming, { scheme });
    const server: EchoServer = await startEcho(`${layout}-server`);
    cleanups.push(() => server.stop());
    const regs = new Registrations(naming, appId);
    regs.add("h1", [server.addr]);
    const c: grpc.Client = client(`${scheme}:///${appId}`);
    cleanups.push(() => c.close());
    expect(await call(c)).toEqual({ ok: true, server: `${layout}-server` });
    regs.remove("h1");
    await waitFor(
      async () => {
        const outcome = await call(c, { deadlineMs: 2_000 });
        return !outcome.ok && outcome.code === 14 && outcome.details.includes(appId);
      },
      { timeoutMs: 5_000, message: "UNAVAILABLE naming the app" },
    );
  });
});
