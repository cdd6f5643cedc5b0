import { isUtf8 } from "node:buffer";
import { GRPCResourceExhastedError, type IRangeResponse } from "etcd3";
import { decodeError, type NamingError } from "../../model/index.js";
import type { KeyValue, Revision } from "../../port/index.js";

/**
 * One page of a range read, as the snapshot needs it: the keys and values as strings, the
 * revision of the read, whether more keys follow, and what paging on needs.
 */
export interface RangePage {
  readonly revision: Revision;
  readonly entries: KeyValue[];
  readonly more: boolean;
  /** The last key's bytes (the next page starts after it); undefined for an empty page. */
  readonly lastKey: Buffer | undefined;
  /** Bytes of the keys and values of this page. */
  readonly bytes: number;
  /** Keys of this page that are not valid UTF-8, left out of `entries`: a `Decode` error each. */
  readonly badKeys: NamingError[];
}

/**
 * Decodes etcd's `RangeResponse` from the wire straight into a {@link RangePage}: the
 * deserializer of rxnaming's range reads.
 *
 * Why not the `etcd3` client's decoder: it makes a `Buffer` of every key and value and a `Long`
 * of each of the four int64 of every KeyValue, then turns each `Long` into a decimal string
 * (`longs: String`): 40,000 `Long.toString` for a range of 10,000 keys, none of which the
 * snapshot reads. Here keys and values become strings straight from the message, the int64
 * fields of a KeyValue are skipped, and only the header's revision is read.
 *
 * Fields it does not know are skipped by wire type, as protobuf requires; a message that ends
 * inside a field, or a wire type protobuf 3 does not use, throws (grpc-js then fails the call).
 */
export const decodeRangePage = (buf: Buffer): RangePage => {
  const r = new Reader(buf);
  let revision: Revision = "0";
  let more = false;
  const entries: KeyValue[] = [];
  const badKeys: NamingError[] = [];
  let lastStart = 0;
  let lastEnd = -1;
  let bytes = 0;
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === KVS) {
      const end = r.length();
      let keyStart = 0;
      let keyEnd = 0;
      let value = "";
      while (r.pos < end) {
        const t = r.varint();
        if (t === KV_KEY) {
          keyEnd = r.length();
          keyStart = r.pos;
          r.pos = keyEnd;
        } else if (t === KV_VALUE) {
          const valueEnd = r.length();
          value = buf.toString("utf8", r.pos, valueEnd);
          bytes += valueEnd - r.pos;
          r.pos = valueEnd;
        } else r.skip(t, end);
      }
      if (r.pos !== end) throw overrun();
      const keyBytes = buf.subarray(keyStart, keyEnd);
      if (isUtf8(keyBytes)) entries.push({ key: buf.toString("utf8", keyStart, keyEnd), value });
      else badKeys.push(notUtf8(keyBytes));
      bytes += keyEnd - keyStart;
      lastStart = keyStart;
      lastEnd = keyEnd;
    } else if (tag === HEADER) {
      const end = r.length();
      while (r.pos < end) {
        const t = r.varint();
        if (t === HEADER_REVISION) revision = r.int64String();
        else r.skip(t, end);
      }
      if (r.pos !== end) throw overrun();
    } else if (tag === MORE) more = r.varint() !== 0 || r.hi !== 0;
    else r.skip(tag, buf.length);
  }
  // Copied: a view would keep the whole message alive as long as the key.
  const lastKey = lastEnd < 0 ? undefined : Buffer.from(buf.subarray(lastStart, lastEnd));
  return { revision, entries, more, lastKey, bytes, badKeys };
};

/**
 * A key is bytes to etcd, text to rxnaming: two keys that differ only in bytes that are not UTF-8
 * would read as one text (both "h\ufffd"), and deleting one would leave the other's instance
 * listed under the deleted one's name. So such a key is no instance: a `Decode` error, whose key
 * shows every byte that is not printable ASCII as `\xNN`.
 */
export const notUtf8 = (key: Uint8Array): NamingError => {
  const shown = escapeBytes(key);
  return decodeError(
    shown,
    "the key is not valid UTF-8 (skipped: etcd keys are bytes, instance names are text)",
  );
};

const escapeBytes = (bytes: Uint8Array): string => {
  let s = "";
  for (const b of bytes)
    s +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return s;
};

/** The same page from a response the `etcd3` client decoded (its public API, the fallback). */
export const rangePageOf = (res: IRangeResponse): RangePage => {
  const entries: KeyValue[] = [];
  const badKeys: NamingError[] = [];
  let bytes = 0;
  for (const kv of res.kvs) {
    bytes += kv.key.length + kv.value.length;
    if (isUtf8(kv.key)) entries.push({ key: kv.key.toString(), value: kv.value.toString() });
    else badKeys.push(notUtf8(kv.key));
  }
  return {
    revision: res.header.revision,
    entries,
    more: res.more,
    lastKey: res.kvs[res.kvs.length - 1]?.key,
    bytes,
    badKeys,
  };
};

/**
 * Reads one page: from `key` to `end`, at most `limit` keys, at `revision` when given; only the
 * keys with `keysOnly`.
 */
export type PageReader = (
  key: Buffer,
  end: Buffer,
  limit: number,
  revision?: Revision,
  keysOnly?: boolean,
) => Promise<RangePage>;

/** Keys in the first page of a range read: one call for apps up to this size. */
const FIRST_PAGE = 10_000;
/** What pages after the first aim at, bytes: half of grpc-js' default 4 MB receive limit. */
const PAGE_BYTES = 2 * 1024 * 1024;
/** How much a page shrinks when its answer was larger than the client may receive. */
const SHRINK = 10;
const ZERO = Buffer.from([0]);

/**
 * Reads every key from `start` to `end` at one revision, in pages that fit the client's receive
 * limit: one page of up to 10,000 keys (one call, as a plain range, for most apps); then pages
 * sized to 2 MB by what the keys so far weighed. A page whose answer is larger than the client
 * may receive (RESOURCE_EXHAUSTED: values near etcd's 1.5 MiB limit add up fast) is asked again
 * ten times smaller, down to one key. Every page after the first is read at the first's revision:
 * one consistent set, or ErrCompacted (then the watch fails and core reads again).
 */
export const readRange = async (
  read: PageReader,
  start: Buffer,
  end: Buffer,
): Promise<{ revision: Revision; entries: KeyValue[]; badKeys: NamingError[] }> => {
  let limit = FIRST_PAGE;
  let from = start;
  let revision: Revision | undefined;
  const entries: KeyValue[] = [];
  const badKeys: NamingError[] = [];
  for (;;) {
    let page: RangePage;
    try {
      page = await read(from, end, limit, revision);
    } catch (e) {
      if (!(e instanceof GRPCResourceExhastedError)) throw e;
      if (limit > 1) {
        limit = Math.max(1, Math.floor(limit / SHRINK));
        continue;
      }
      // One value alone is larger than the client may receive: report its key and read on.
      page = await read(from, end, 1, revision, true);
      for (const { key } of page.entries) {
        page.badKeys.push(decodeError(key, "its value is larger than the client may receive (skipped)"));
      }
      page = { ...page, entries: [] };
    }
    revision ??= page.revision;
    for (const entry of page.entries) entries.push(entry);
    for (const bad of page.badKeys) badKeys.push(bad);
    if (!page.more || page.lastKey === undefined) return { revision, entries, badKeys };
    // As many keys as PAGE_BYTES holds at the weight seen, from 1 to FIRST_PAGE.
    const perKey = page.bytes / Math.max(1, page.entries.length + page.badKeys.length);
    limit = Math.max(1, Math.min(FIRST_PAGE, Math.floor(PAGE_BYTES / Math.max(1, perKey))));
    // The next page starts just after the last key read: that key with a zero byte appended.
    from = Buffer.concat([page.lastKey, ZERO]);
  }
};

// Tags (field number << 3 | wire type) of the fields read.
const HEADER = (1 << 3) | 2; // RangeResponse.header: ResponseHeader
const KVS = (2 << 3) | 2; // RangeResponse.kvs: repeated mvccpb.KeyValue
const MORE = (3 << 3) | 0; // RangeResponse.more: bool
const HEADER_REVISION = (3 << 3) | 0; // ResponseHeader.revision: int64
const KV_KEY = (1 << 3) | 2; // KeyValue.key: bytes
const KV_VALUE = (5 << 3) | 2; // KeyValue.value: bytes

const truncated = (): Error => new Error("etcd RangeResponse: message truncated");
const overrun = (): Error => new Error("etcd RangeResponse: a field runs past the end of its message");

/** Protobuf wire reading over one buffer. */
class Reader {
  pos = 0;
  /** The high 32 bits of the last varint read. */
  hi = 0;

  constructor(private readonly buf: Buffer) {}

  /** A varint: returns its low 32 bits (unsigned), leaves the high ones in `hi`. */
  varint(): number {
    const buf = this.buf;
    let lo = 0;
    let b: number;
    this.hi = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.byte(buf);
      lo |= (b & 127) << shift;
      if (b < 128) return lo >>> 0;
    }
    b = this.byte(buf);
    lo |= (b & 127) << 28;
    let hi = (b & 127) >> 4;
    for (let shift = 3; b >= 128; shift += 7) {
      if (shift > 31) throw new Error("etcd RangeResponse: varint longer than 10 bytes");
      b = this.byte(buf);
      hi |= (b & 127) << shift;
    }
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** A length prefix: returns where the field it prefixes ends. */
  length(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (this.hi !== 0 || end > this.buf.length) throw truncated();
    return end;
  }

  /** An int64 varint, as the decimal string `etcd3` gives for it (exact beyond 2^53 too). */
  int64String(): string {
    const lo = this.varint();
    const hi = this.hi;
    if (hi < 0x200000) return String(hi * 0x1_0000_0000 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  /** Skips the value of a field of tag `tag`, which must end by `end`. */
  skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.length();
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`etcd RangeResponse: wire type ${tag & 7} (field ${tag >>> 3})`);
    }
    if (this.pos > end) throw overrun();
  }

  private byte(buf: Buffer): number {
    if (this.pos >= buf.length) throw truncated();
    return buf[this.pos++]!;
  }
}
