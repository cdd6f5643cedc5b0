import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { etcdNaming } from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { inst } from "../fixtures.js";
import { useEtcd } from "../harness/index.js";

const etcd = useEtcd();

describe("an app larger than one gRPC message", () => {
  it("is read in pages at one revision: 2,500 instances of 2 KB (5 MB) with a default client", async () => {
    const app = freshApp("large");
    // A default client: grpc-js refuses a response over 4 MB, which one range of this app is.
    const client = new Etcd3({ hosts: [etcd().endpoint] });
    const naming = etcdNaming(client, { lingerMs: 0 });
    try {
      const padding = "x".repeat(2_000);
      const hostnames = Array.from({ length: 2_500 }, (_, n) => `host-${String(n).padStart(5, "0")}`);
      for (let i = 0; i < hostnames.length; i += 250) {
        await Promise.all(
          hostnames.slice(i, i + 250).map((h) => {
            const value = encodeInstance(inst(h, { appId: app, metadata: { padding } }));
            return client.put(`/kratos_etcd/${app}/${h}`).value(value).exec();
          }),
        );
      }
      // The trap this avoids: one range of the whole app fails outright.
      const whole = await client
        .getAll()
        .prefix(`/kratos_etcd/${app}/`)
        .strings()
        .then(
          () => "read",
          (e: unknown) => String(e),
        );
      expect(whole).toMatch(/RESOURCE_EXHAUSTED|larger than max|Received message larger/i);

      const fetched = await naming.build(app).fetch()();
      expect(fetched._tag).toBe("Right");
      if (fetched._tag === "Right") {
        expect(fetched.right.instances.map((i) => i.hostname)).toEqual(hostnames);
        expect(fetched.right.instances[1_234]!.metadata.padding).toBe(padding);
      }
    } finally {
      await naming.close();
      client.close();
    }
  });
});
