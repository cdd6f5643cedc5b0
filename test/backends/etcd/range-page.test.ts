import { Etcd3, type IRangeResponse } from "etcd3";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { decodeRangePage, rangePageOf } from "../../../src/backends/etcd/range-page.js";

// The etcd3 client's own codec of RangeResponse (protobufjs, `longs: String`): what the range of
// a snapshot was read with before, and what the hand-written decoder must agree with. A client
// connects on its first call only; this one makes none.
const client = new Etcd3({ hosts: "127.0.0.1:1" });
afterAll(() => client.close());
interface Codec {
  responseSerialize(res: unknown): Buffer;
  responseDeserialize(buf: Buffer): IRangeResponse;
}
const kv = (
  client as unknown as { pool: { hosts: { getServiceClient(s: string): object }[] } }
).pool.hosts[0]!.getServiceClient("KV");
const codec = (kv.constructor as unknown as { service: { Range: Codec } }).service.Range;

const int64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: 0n, max: 2n ** 53n + 10n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const bytes = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => Buffer.from(s)),
  // Not UTF-8: both decoders must replace what is invalid the same way.
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);
const arbResponse = fc.record({
  header: fc.option(
    fc.record({
      cluster_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      member_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      revision: int64.map(String),
      raft_term: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    }),
    { nil: undefined },
  ),
  kvs: fc.array(
    fc.record({
      key: bytes,
      create_revision: int64.map(String),
      mod_revision: int64.map(String),
      version: int64.map(String),
      value: bytes,
      lease: int64.map(String),
    }),
    { maxLength: 8 },
  ),
  more: fc.boolean(),
  count: int64.map(String),
});

/** What both decoders give for a message, or the fact that it throws. */
const outcome = (decode: () => unknown): unknown => {
  try {
    return { ok: decode() };
  } catch {
    return "throws";
  }
};
const ours = (buf: Buffer) => outcome(() => decodeRangePage(buf));
// etcd always sends a header; a message without one reads as revision "0" here.
const theirs = (buf: Buffer) =>
  outcome(() => {
    const res = codec.responseDeserialize(buf);
    return rangePageOf({
      ...res,
      header: res.header ?? { revision: "0", cluster_id: "0", member_id: "0", raft_term: "0" },
    });
  });

describe("decodeRangePage", () => {
  it("reads what the etcd3 client's decoder reads: keys, values, revision, more", () => {
    fc.assert(
      fc.property(arbResponse, (res) => {
        const buf = codec.responseSerialize(res);
        expect(ours(buf)).toEqual(theirs(buf));
      }),
      { numRuns: 1_000 },
    );
  });

  it("keeps a revision beyond 2^53 exact, as the client's decimal string", () => {
    const revision = String(2n ** 60n + 7n);
    const page = decodeRangePage(codec.responseSerialize({ header: { revision }, kvs: [] }));
    expect(page.revision).toBe(revision);
  });

  it("skips fields it does not know, of every wire type", () => {
    fc.assert(
      fc.property(
        arbResponse,
        fc.integer({ min: 5, max: 1000 }),
        fc.constantFrom(0, 1, 2, 5),
        (res, field, wire) => {
          const unknown = Buffer.concat([
            varint((field << 3) | wire),
            wire === 0
              ? varint(300)
              : wire === 1
                ? Buffer.alloc(8, 1)
                : wire === 5
                  ? Buffer.alloc(4, 2)
                  : Buffer.from([3, 1, 2, 3]),
          ]);
          const buf = Buffer.concat([unknown, codec.responseSerialize(res), unknown]);
          const page = decodeRangePage(buf);
          expect({ ok: page }).toEqual(theirs(buf));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("throws on a message cut inside a field; cut between fields, reads the fields before the cut", () => {
    fc.assert(
      fc.property(arbResponse, fc.nat(), (res, at) => {
        // The message field by field (protobuf concatenates): the cuts between fields are known.
        const parts = [
          codec.responseSerialize({ header: res.header }),
          ...res.kvs.map((kv) => codec.responseSerialize({ kvs: [kv] })),
          codec.responseSerialize({ more: res.more }),
          codec.responseSerialize({ count: res.count }),
        ];
        const whole = Buffer.concat(parts);
        const between = new Set<number>([0]);
        parts.reduce((offset, part) => (between.add(offset + part.length), offset + part.length), 0);
        const cut = whole.subarray(0, at % (whole.length + 1));
        if (between.has(cut.length)) expect(ours(cut)).toEqual(theirs(cut));
        else expect(ours(cut)).toBe("throws");
      }),
      { numRuns: 2_000 },
    );
  });

  it("throws on a field that runs past the end of the message holding it", () => {
    // kvs { key: "hello" } with the KeyValue's length said to be 3: the key overruns it.
    const kvs = Buffer.from([(2 << 3) | 2, 3, (1 << 3) | 2, 5, ...Buffer.from("hello")]);
    expect(() => decodeRangePage(kvs)).toThrow(/runs past the end of its message/);
    // The value of the last KeyValue cut short: its length says 10, 2 bytes follow.
    const value = Buffer.from([(2 << 3) | 2, 12, (5 << 3) | 2, 10, 65, 66]);
    expect(() => decodeRangePage(value)).toThrow(/truncated/);
  });

  it("throws on an unknown fixed-size field cut short", () => {
    expect(() => decodeRangePage(Buffer.from([(9 << 3) | 1, 1, 2, 3]))).toThrow(/runs past the end/);
    expect(() => decodeRangePage(Buffer.from([(9 << 3) | 5, 1]))).toThrow(/runs past the end/);
  });

  it("throws on a varint longer than 10 bytes", () => {
    const more = Buffer.from([(3 << 3) | 0, ...Array<number>(10).fill(0x80), 1]);
    expect(() => decodeRangePage(more)).toThrow(/varint longer than 10 bytes/);
  });

  it("reads a bool as Go writes and reads it: any non-zero varint is true, 2^32 included", () => {
    const more = Buffer.concat([Buffer.from([(3 << 3) | 0]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])]);
    expect(decodeRangePage(more).more).toBe(true);
  });

  it("names the problem: a wire type protobuf 3 does not use", () => {
    expect(() => decodeRangePage(Buffer.from([(9 << 3) | 3]))).toThrow(/wire type 3 \(field 9\)/);
  });
});

/** A protobuf varint. */
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
