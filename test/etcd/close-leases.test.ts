// close() revokes every lease the naming granted or was granting: the etcd example of the README,
// run as written (subscribe, then unsubscribe and close at once), leaves no lease behind.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Etcd3 } from "etcd3";
import { describe, it } from "vitest";
import { etcdClientOptions, etcdNaming } from "../../src/index.js";
import { freshApp, inst } from "../contract/naming-contract.js";
import { buildRxnaming, useEtcd, waitFor } from "../harness/index.js";

const etcd = useEtcd();

const leaseIds = async (): Promise<string[]> =>
  (await etcd().etcdctl(["lease", "list"]))
    .split("\n")
    .filter((line) => /^[0-9a-f]+$/i.test(line.trim()))
    .map((line) => line.trim());

// The README's etcd example as a program of its own: its process ends when the example does.
const EXAMPLE = `
const [dist, host] = process.argv.slice(2);
const { Etcd3 } = await import("etcd3");
const { etcdClientOptions, etcdNaming, instance } = await import(dist);
const me = instance({ appId: "demo.service", hostname: "host-" + process.pid, addrs: ["grpc://127.0.0.1:9000"] });
const client = new Etcd3(etcdClientOptions({ hosts: [host] }));
const naming = etcdNaming(client, { ttlSeconds: 30 });
naming.errors$.subscribe((e) => console.warn(e._tag, e.message));
const sub = naming.register(me.right).subscribe();
naming.build("demo.service").instances$.subscribe((info) => console.log(info.revision, info.instances.length));
sub.unsubscribe();
await naming.close();
client.close();
`;

/** Waits until every lease granted since `before` was listed is gone; fails naming how many are left. */
const noNewLeases = async (before: readonly string[], what: string): Promise<void> => {
  const left = async () => (await leaseIds()).filter((id) => !before.includes(id));
  await waitFor(async () => (await left()).length === 0, {
    timeoutMs: 3_000,
    message: "no lease left",
  }).catch(async () => {
    throw new Error(`leases left after ${what}: ${(await left()).length}`);
  });
};

describe("close() and leases (real etcd)", () => {
  it("leaves no lease after the README's etcd example ran 20 times, each in its own process", async () => {
    const dist = await buildRxnaming();
    const script = join(fileURLToPath(new URL(".", dist)), "..", "close-leases-example.mjs");
    writeFileSync(script, EXAMPLE);
    const before = await leaseIds();
    for (let run = 0; run < 20; run++) {
      await promisify(execFile)(process.execPath, [script, dist, etcd().endpoint], { timeout: 20_000 });
    }
    await noNewLeases(before, "20 runs");
  });

  it("leaves no lease after 20 runs of subscribe, unsubscribe, close at once", async () => {
    const before = await leaseIds();
    for (let run = 0; run < 20; run++) {
      const client = new Etcd3(etcdClientOptions(etcd().clientOptions()));
      const naming = etcdNaming(client, { ttlSeconds: 30 });
      const sub = naming.register(inst(freshApp("lease"), "host-1")).subscribe();
      const view = naming.build("demo.service").instances$.subscribe();
      sub.unsubscribe();
      await naming.close();
      view.unsubscribe();
      client.close();
    }
    await noNewLeases(before, "20 runs");
  });

  it("revokes a lease whose grant was in flight when close() ran, with the registration still subscribed", async () => {
    const before = await leaseIds();
    for (let run = 0; run < 10; run++) {
      const naming = etcdNaming(etcd().clientOptions(), { ttlSeconds: 30 });
      const sub = naming.register(inst(freshApp("lease"), "host-1")).subscribe();
      await naming.close();
      sub.unsubscribe();
    }
    await noNewLeases(before, "10 runs");
  });
});
