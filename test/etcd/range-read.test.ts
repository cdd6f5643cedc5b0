// The snapshot's range is decoded by rxnaming (src/backends/etcd/range-page.ts), not by the etcd3
// client: this checks, against a real etcd, that the call goes through that decoder, and that a
// client whose services cannot be called that way is still read, the public way.
import { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { Members } from "../../src/backends/etcd/members.js";
import { decodeRangePage, rangePageOf, type RangePage } from "../../src/backends/etcd/range-page.js";
import { prefixEnd } from "../../src/backends/etcd/prefix-end.js";
import { useEtcd } from "../harness/index.js";

const etcd = useEtcd();

describe("a range read of the snapshot", () => {
  it("is decoded from the wire by rxnaming's decoder, with the client's auth and deadline", async () => {
    const client = new Etcd3({ hosts: [etcd().endpoint] });
    try {
      await client.put("/range-read/a").value("é1").exec();
      await client.put("/range-read/b").value("2").exec();
      const members = new Members(client);
      let decoded = 0;
      let fallbacks = 0;
      const key = Buffer.from("/range-read/");
      const request = { key, range_end: prefixEnd(key) };
      const page = await members.unary<RangePage>(
        {
          service: "KV",
          method: "range",
          request,
          deserialize: (buf) => (decoded++, decodeRangePage(buf)),
          fallback: (o) => (fallbacks++, client.kv.range(request, o).then(rangePageOf)),
        },
        5_000,
      );
      expect({ decoded, fallbacks }).toEqual({ decoded: 1, fallbacks: 0 });
      expect(page.entries).toEqual([
        { key: "/range-read/a", value: "é1" },
        { key: "/range-read/b", value: "2" },
      ]);
      const header = await client.kv.range({ key: Buffer.from("/none") });
      expect(page.revision).toBe(header.header.revision);
      expect(page.lastKey).toEqual(Buffer.from("/range-read/b"));
    } finally {
      client.close();
    }
  });
});
