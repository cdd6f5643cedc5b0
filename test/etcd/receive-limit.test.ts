// etcd's request limit can be raised (`--max-request-bytes`), and then a single value is larger
// than grpc-js' default 4 MB receive limit. The client rxnaming makes from options receives it,
// first read and watch alike; and while one app cannot be read, another app's changes still come.
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { etcdNaming, type InstancesInfo, type Naming, type NamingError } from "../../src/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { kratosValue } from "../backends/deep-json-scenario.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { EtcdWorld } from "./support.js";

const etcd = useEtcd({ extraArgs: ["--max-request-bytes=10485760"] });

const hugeValue = (appId: string, hostname: string): string =>
  kratosValue(appId, hostname).replace('"metadata":{}', `"metadata":{"blob":"${"x".repeat(5_000_000)}"}`);

describe("a value of 5 MB, on an etcd that accepts it", () => {
  const subs: Subscription[] = [];
  const namings: Naming[] = [];
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    await Promise.all(namings.splice(0).map((n) => n.close()));
  });
  const hostnamesOf = (naming: Naming, appId: string) => {
    const sets: InstancesInfo[] = [];
    subs.push(naming.build(appId).instances$.subscribe((s) => sets.push(s)));
    return () =>
      sets
        .at(-1)
        ?.instances.map((i) => i.hostname)
        .join();
  };

  it("is listed by etcdNaming({ hosts }), read first and then watched", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const app = freshApp("huge");
      await world.put(`/kratos_etcd/${app}/h1`, hugeValue(app, "h1"));
      const naming = etcdNaming({ hosts: etcd().endpoint }, { lingerMs: 0 });
      namings.push(naming);
      const hostnames = hostnamesOf(naming, app);
      await waitFor(() => hostnames() === "h1", { message: "the 5 MB instance read", timeoutMs: 10_000 });
      await world.put(`/kratos_etcd/${app}/h2`, hugeValue(app, "h2"));
      await waitFor(() => hostnames() === "h1,h2", {
        message: "the 5 MB instance watched",
        timeoutMs: 10_000,
      });
    } finally {
      await world.dispose();
    }
  });

  it("stored, on a client with a 4 MB limit, costs only its own key: the rest of its app and other apps are read", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const huge = freshApp("huge");
      const small = freshApp("small");
      await world.put(`/kratos_etcd/${huge}/h0`, kratosValue(huge, "h0"));
      await world.put(`/kratos_etcd/${huge}/h1`, hugeValue(huge, "h1"));
      await world.put(`/kratos_etcd/${huge}/h2`, kratosValue(huge, "h2"));
      const naming = world.naming(
        {},
        world.client({ grpcOptions: { "grpc.max_receive_message_length": 4 * 1024 * 1024 } }),
      );
      const errors: NamingError[] = [];
      subs.push(naming.errors$.subscribe((e) => errors.push(e)));
      const hugeHostnames = hostnamesOf(naming, huge);
      const smallHostnames = hostnamesOf(naming, small);
      await waitFor(() => hugeHostnames() === "h0,h2", { message: "the huge app without its huge value" });
      const skipped = errors.find((e) => e.key === `/kratos_etcd/${huge}/h1`);
      expect(skipped).toMatchObject({ _tag: "Decode" });
      expect(skipped?.message).toMatch(/larger than the client may receive/);
      await world.put(`/kratos_etcd/${small}/s1`, kratosValue(small, "s1"));
      await waitFor(() => smallHostnames() === "s1", { message: "small's change", timeoutMs: 3_000 });
      expect(errors.filter((e) => e._tag === "Backend")).toEqual([]);
    } finally {
      await world.dispose();
    }
  });

  it("written while watched on a client with a 4 MB limit, is skipped and reported, and no other app waits", async () => {
    const world = new EtcdWorld(() => etcd().clientOptions());
    try {
      const huge = freshApp("huge");
      const small = freshApp("small");
      const naming = world.naming(
        {},
        world.client({ grpcOptions: { "grpc.max_receive_message_length": 4 * 1024 * 1024 } }),
      );
      const errors: NamingError[] = [];
      subs.push(naming.errors$.subscribe((e) => errors.push(e)));
      const hugeHostnames = hostnamesOf(naming, huge);
      const smallHostnames = hostnamesOf(naming, small);
      await waitFor(() => smallHostnames() === "" && hugeHostnames() === "", { message: "both first sets" });
      // One event of 5 MB: etcd cannot split it, the client cannot receive it.
      await world.put(`/kratos_etcd/${huge}/h1`, hugeValue(huge, "h1"));
      await world.put(`/kratos_etcd/${small}/s1`, kratosValue(small, "s1"));
      await waitFor(() => smallHostnames() === "s1", { message: "small's change", timeoutMs: 3_000 });
      await waitFor(() => errors.find((e) => e._tag === "Decode" && e.key === `/kratos_etcd/${huge}/h1`), {
        message: "the huge value reported as its key's Decode error",
      });
      // The huge app goes on around it, and so does the stream.
      await world.put(`/kratos_etcd/${huge}/h2`, kratosValue(huge, "h2"));
      await world.put(`/kratos_etcd/${small}/s2`, kratosValue(small, "s2"));
      await waitFor(() => hugeHostnames() === "h2" && smallHostnames() === "s1,s2", {
        message: "later changes",
      });
    } finally {
      await world.dispose();
    }
  });
});
