import { d2string } from "../resp/format-double.js";
import { HASH_LISTPACK, RedisHash } from "../store/redis-hash.js";
import { RedisSet, SET_INTSET } from "../store/redis-set.js";
import { MutableString, RedisList, RedisStream, RedisZSet, type StoredValue } from "../store/redis-value.js";
import { ZSET_LISTPACK } from "../store/redis-zset.js";
import { encodeId, type U64 } from "../store/stream-id.js";
import { lzfCompress } from "./lzf.js";
import {
  canonicalInt,
  canonicalSmallInt,
  QUICKLIST_NODE_CONTAINER_PACKED,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "./rdb-format.js";

/**
 * Serializes values into Redis's RDB encodings, in the encoding Redis 7.0 would hold the same value in
 * (rdbSaveObject writes a value as it is in memory): strings integer-encoded or LZF-compressed as
 * rdbSaveRawString does, lists as quicklist 2 of listpack nodes filled as RPUSH fills them under
 * list-max-listpack-size, hashes and sorted sets as a listpack or as a plain table, sets as an intset or a
 * plain set, following the encoding each value tracks (redis-hash.ts, redis-set.ts, redis-zset.ts). Output
 * accumulates in chunks of ~64 KiB that the caller takes with `take()`.
 */

const CHUNK = 64 * 1024;
/** Strings up to this length are copied byte by byte in JS (see rawLatin1). */
const SHORT_STRING = 32;

// ─── a growable byte sink ────────────────────────────────────────────────────────────────────────────────

/** The first scratch buffers' size: big enough that most values never grow them. */
const SCRATCH_MIN = 4096;

/** A reusable buffer of at least `n` bytes: `buf` itself, or a larger one (null: none yet). */
function grown(buf: Buffer | null, n: number): Buffer {
  if (buf !== null && buf.length >= n) return buf;
  return Buffer.allocUnsafe(Math.max(n, buf === null ? SCRATCH_MIN : buf.length * 2));
}

/** Listpack builder: appends entries into its own buffer, then `finish()` writes the header. */
class ListpackBuilder {
  buf = Buffer.allocUnsafe(1024);
  pos = 6;
  count = 0;

  reset(): void {
    this.pos = 6;
    this.count = 0;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 16));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
  }

  private backlen(l: number): void {
    const b = this.buf;
    if (l <= 127) {
      b[this.pos++] = l;
    } else if (l < 16383) {
      b[this.pos++] = l >>> 7;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 2097151) {
      b[this.pos++] = l >>> 14;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 268435455) {
      b[this.pos++] = l >>> 21;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else {
      b[this.pos++] = Math.floor(l / 2 ** 28);
      b[this.pos++] = ((l >>> 21) & 127) | 128;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    }
  }

  /** Appends a string element, integer-encoded when it is a canonical int64 (as lpAppend does). */
  add(s: string): void {
    this.count++;
    const small = canonicalSmallInt(s);
    if (small !== null) {
      this.addInt(small);
      return;
    }
    if (s.length <= 20) {
      const big = canonicalInt(s);
      if (big !== null) {
        this.addBigInt(big);
        return;
      }
    }
    const len = s.length;
    this.need(len + 10);
    const b = this.buf;
    let hdr: number;
    if (len < 64) {
      b[this.pos++] = 0x80 | len;
      hdr = 1;
    } else if (len < 4096) {
      b[this.pos++] = 0xe0 | (len >>> 8);
      b[this.pos++] = len & 0xff;
      hdr = 2;
    } else {
      b[this.pos++] = 0xf0;
      b.writeUInt32LE(len, this.pos);
      this.pos += 4;
      hdr = 5;
    }
    this.pos += b.write(s, this.pos, "latin1");
    this.backlen(hdr + len);
  }

  private addInt(v: number): void {
    this.need(16);
    const b = this.buf;
    let l: number;
    if (v >= 0 && v <= 127) {
      b[this.pos++] = v;
      l = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? (1 << 13) + v : v;
      b[this.pos++] = 0xc0 | (u >>> 8);
      b[this.pos++] = u & 0xff;
      l = 2;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xf1;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
      l = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[this.pos++] = 0xf2;
      b.writeIntLE(v, this.pos, 3);
      this.pos += 3;
      l = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xf3;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
      l = 5;
    } else {
      b[this.pos++] = 0xf4;
      b.writeBigInt64LE(BigInt(v), this.pos);
      this.pos += 8;
      l = 9;
    }
    this.backlen(l);
  }

  private addBigInt(v: bigint): void {
    if (v >= -2147483648n && v <= 2147483647n) {
      this.addInt(Number(v));
      return;
    }
    this.need(16);
    this.buf[this.pos++] = 0xf4;
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
    this.backlen(9);
  }

  get bytes(): number {
    return this.pos + 1;
  }

  /** Writes header and terminator; returns a view valid until the next reset. */
  finish(): Buffer {
    this.need(1);
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32LE(this.pos, 0);
    this.buf.writeUInt16LE(Math.min(this.count, 65535), 4);
    return this.buf.subarray(0, this.pos);
  }
}

const lp = new ListpackBuilder();

/** quicklist's optimization_level: node size limits for list-max-listpack-size -1 ... -5. */
const QUICKLIST_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** quicklist's SIZE_SAFETY_LIMIT and SIZE_ESTIMATE_OVERHEAD. */
const QUICKLIST_SAFETY_LIMIT = 8192;
const QUICKLIST_ENTRY_OVERHEAD = 8;

/**
 * _quicklistNodeAllowInsert: whether a node of `nodeBytes` bytes and `count` entries takes one more element
 * of `len` bytes under fill `fill` (list-max-listpack-size, clamped to -5 as quicklistSetFill does).
 */
function quicklistNodeAllows(nodeBytes: number, count: number, len: number, fill: number): boolean {
  const size = nodeBytes + len + QUICKLIST_ENTRY_OVERHEAD;
  if (fill < 0) return size <= QUICKLIST_SIZE_LIMITS[Math.min(-fill, 5) - 1];
  return size <= QUICKLIST_SAFETY_LIMIT && count < fill;
}

// ─── the encoder ─────────────────────────────────────────────────────────────────────────────────────────

export class RdbEncoder {
  private chunks: Buffer[] = [];
  private cur: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Bytes produced since creation. */
  total = 0;
  /**
   * Scratch space for LZF: the string's bytes and the compressed output. Per encoder (created on the
   * first compressed string), so encoders of different servers or saves never share a buffer.
   */
  private lzfIn: Buffer | null = null;
  private lzfOut: Buffer | null = null;

  constructor(readonly compress = true) {}

  /** Bytes buffered and not yet taken. */
  get buffered(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  private need(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    if (this.pos > 0) this.chunks.push(this.cur.subarray(0, this.pos));
    this.cur = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
  }

  /** Everything written so far, as chunks the caller now owns. */
  take(): Buffer[] {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.cur = this.cur.length - this.pos >= 4096 ? this.cur.subarray(this.pos) : Buffer.allocUnsafe(CHUNK);
      this.pos = 0;
    }
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  byte(b: number): void {
    this.need(1);
    this.cur[this.pos++] = b;
    this.total++;
  }

  raw(buf: Uint8Array): void {
    this.need(buf.length);
    this.cur.set(buf, this.pos);
    this.pos += buf.length;
    this.total += buf.length;
  }

  rawLatin1(s: string): void {
    const len = s.length;
    this.need(len);
    if (len <= SHORT_STRING) {
      // Keys and small values: a JS loop beats a call into the runtime per string (measured in the
      // full-sync profile, where this ran twice per key).
      const b = this.cur;
      let p = this.pos;
      for (let i = 0; i < len; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
      this.total += len;
      return;
    }
    const n = this.cur.write(s, this.pos, "latin1");
    this.pos += n;
    this.total += n;
  }

  /** rdbSaveLen. */
  len(n: number): void {
    this.need(9);
    const b = this.cur;
    if (n < 64) {
      b[this.pos++] = n;
      this.total += 1;
    } else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >>> 8);
      b[this.pos++] = n & 0xff;
      this.total += 2;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
      this.total += 5;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
      this.total += 9;
    }
  }

  /** rdbSaveLen of a full 64-bit unsigned value (stream IDs and counters). */
  lenU64(v: U64): void {
    if (typeof v === "number") {
      this.len(v);
      return;
    }
    this.need(9);
    this.cur[this.pos++] = 0x81;
    this.cur.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
    this.total += 9;
  }

  /** rdbSaveMillisecondTime: 8 bytes little-endian. */
  millis(ms: number): void {
    this.need(8);
    this.cur.writeBigInt64LE(BigInt(ms), this.pos);
    this.pos += 8;
    this.total += 8;
  }

  /** rdbSaveBinaryDoubleValue. */
  binaryDouble(v: number): void {
    this.need(8);
    this.cur.writeDoubleLE(v, this.pos);
    this.pos += 8;
    this.total += 8;
  }

  /** An integer as Redis's integer-encoded string (int8/16/32), for values in range. */
  private encodedInt(v: number): boolean {
    this.need(5);
    const b = this.cur;
    if (v >= -128 && v <= 127) {
      b[this.pos++] = 0xc0 | RDB_ENC_INT8;
      b.writeInt8(v, this.pos);
      this.pos += 1;
      this.total += 2;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xc0 | RDB_ENC_INT16;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
      this.total += 3;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xc0 | RDB_ENC_INT32;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
      this.total += 5;
    } else {
      return false;
    }
    return true;
  }

  /** rdbSaveRawString for a latin1 string: integer encoding, then LZF (> 20 bytes), then raw. */
  string(s: string): void {
    const len = s.length;
    if (len <= 11) {
      const v = canonicalSmallInt(s);
      if (v !== null && this.encodedInt(v)) return;
    }
    if (this.compress && len > 20) {
      const src = grown(this.lzfIn, len);
      this.lzfIn = src;
      src.write(s, 0, "latin1");
      if (this.lzfString(src.subarray(0, len))) return;
    }
    this.len(len);
    this.rawLatin1(s);
  }

  /** rdbSaveRawString for bytes (listpack and intset blobs). */
  blob(buf: Buffer): void {
    if (this.compress && buf.length > 20 && this.lzfString(buf)) return;
    this.len(buf.length);
    this.raw(buf);
  }

  private lzfString(src: Buffer): boolean {
    const len = src.length;
    const maxOut = len - 4;
    const lzfOut = grown(this.lzfOut, len);
    this.lzfOut = lzfOut;
    const clen = lzfCompress(src, lzfOut, maxOut);
    if (clen === 0) return false;
    this.byte(0xc0 | RDB_ENC_LZF);
    this.len(clen);
    this.len(len);
    this.raw(lzfOut.subarray(0, clen));
    return true;
  }

  // ─── records ───────────────────────────────────────────────────────────────────────────────────────────

  aux(key: string, value: string): void {
    this.byte(RDB_OPCODE_AUX);
    if (key !== null) this.string(key);
    this.string(value);
  }

  selectDb(id: number, size: number, expires: number): void {
    this.byte(RDB_OPCODE_SELECTDB);
    this.len(id);
    this.byte(RDB_OPCODE_RESIZEDB);
    this.len(size);
    this.len(expires);
  }

  /** One key: [EXPIRETIME_MS] type key value (rdbSaveKeyValuePair). */
  keyValue(key: string, value: StoredValue, expireMs: number | undefined): void {
    if (expireMs !== undefined) {
      this.byte(RDB_OPCODE_EXPIRETIME_MS);
      this.millis(expireMs);
    }
    this.typedValue(key, value);
  }

  /** A value alone: type, then the value (rdbSaveObjectType + rdbSaveObject, the body of a DUMP payload). */
  value(value: StoredValue): void {
    this.typedValue(null, value);
  }

  /** Type byte, the key when there is one, then the value. */
  private typedValue(key: string | null, value: StoredValue): void {
    if (typeof value === "string") {
      this.byte(RDB_TYPE_STRING);
      if (key !== null) this.string(key);
      this.string(value);
    } else if (value instanceof MutableString) {
      this.byte(RDB_TYPE_STRING);
      if (key !== null) this.string(key);
      this.string(value.toString());
    } else if (value instanceof RedisHash) {
      this.hash(key, value);
    } else if (value instanceof RedisSet) {
      this.set(key, value);
    } else if (value instanceof RedisList) {
      this.list(key, value);
    } else if (value instanceof RedisZSet) {
      this.zset(key, value);
    } else if (value instanceof RedisStream) {
      this.stream(key, value);
    }
  }

  /**
   * A stream as Redis 7.0 saves it (RDB_TYPE_STREAM_LISTPACKS_2): the listpack nodes keyed by their
   * 128-bit master ID, the stream's counters, then every consumer group with its PEL and consumers, in
   * rax (byte) order. Redis 7.2's type 21 only adds a consumer active-time 7.0 cannot read, so 19 is
   * what a 7.0 server loads.
   */
  private stream(key: string | null, s: RedisStream): void {
    this.byte(RDB_TYPE_STREAM_LISTPACKS_2);
    if (key !== null) this.string(key);
    this.len(s.nodes.length);
    const id16 = Buffer.allocUnsafe(16);
    for (const node of s.nodes) {
      encodeId(node, id16, 0);
      this.blob(id16);
      this.blob(node.lp.bytes());
    }
    this.len(s.length);
    this.lenU64(s.lastId.ms);
    this.lenU64(s.lastId.seq);
    this.lenU64(s.firstId.ms);
    this.lenU64(s.firstId.seq);
    this.lenU64(s.maxDeletedId.ms);
    this.lenU64(s.maxDeletedId.seq);
    this.lenU64(s.entriesAdded);
    const names = s.sortedGroupNames();
    this.len(names.length);
    for (const name of names) {
      const cg = s.lookupCG(name);
      if (cg === undefined) continue;
      this.string(name);
      this.lenU64(cg.lastId.ms);
      this.lenU64(cg.lastId.seq);
      // A long long saved through rdbSaveLen: -1 (unknown) becomes 2^64 - 1.
      const er = cg.entriesRead;
      this.lenU64(typeof er === "number" && er >= 0 ? er : BigInt.asUintN(64, BigInt(er)));
      this.len(cg.pel.size);
      cg.pel.forEach((id, nack) => {
        encodeId(id, id16, 0);
        this.raw(id16);
        this.millis(nack.deliveryTime);
        const dc = nack.deliveryCount;
        this.lenU64(typeof dc === "number" && dc >= 0 ? dc : BigInt.asUintN(64, BigInt(dc)));
      });
      const consumers = cg.sortedConsumers();
      this.len(consumers.length);
      for (const consumer of consumers) {
        this.string(consumer.name);
        this.millis(consumer.seenTime);
        this.len(consumer.pel.size);
        consumer.pel.forEach((id) => {
          encodeId(id, id16, 0);
          this.raw(id16);
        });
      }
    }
  }

  private list(key: string | null, l: RedisList): void {
    this.byte(RDB_TYPE_LIST_QUICKLIST_2);
    if (key !== null) this.string(key);
    // Pack elements into listpack nodes as RPUSH fills them under the list's fill (other histories, such
    // as LPUSH, pops, LINSERT or a reload of nodes packed under another fill, leave Redis with other node
    // boundaries; the elements are the same either way).
    const fill = l.fill;
    const nodes: Buffer[] = [];
    lp.reset();
    for (const v of l) {
      if (lp.count > 0 && !quicklistNodeAllows(lp.bytes, lp.count, v.length, fill)) {
        nodes.push(Buffer.from(lp.finish()));
        lp.reset();
      }
      lp.add(v);
    }
    if (lp.count > 0) nodes.push(Buffer.from(lp.finish()));
    this.len(nodes.length);
    for (const n of nodes) {
      this.len(QUICKLIST_NODE_CONTAINER_PACKED);
      this.blob(n);
    }
  }

  private hash(key: string | null, h: RedisHash): void {
    if (h.enc === HASH_LISTPACK) {
      this.byte(RDB_TYPE_HASH_LISTPACK);
      if (key !== null) this.string(key);
      lp.reset();
      for (const [f, v] of h) {
        lp.add(f);
        lp.add(v);
      }
      this.blob(lp.finish());
      return;
    }
    this.byte(RDB_TYPE_HASH);
    if (key !== null) this.string(key);
    this.len(h.size);
    for (const [f, v] of h) {
      this.string(f);
      this.string(v);
    }
  }

  private set(key: string | null, s: RedisSet): void {
    if (s.enc === SET_INTSET && s.size > 0) {
      const ints: bigint[] = [];
      for (const m of s) ints.push(canonicalInt(m) as bigint);
      this.byte(RDB_TYPE_SET_INTSET);
      if (key !== null) this.string(key);
      this.blob(encodeIntset(ints, s.intsetWidth));
      return;
    }
    this.byte(RDB_TYPE_SET);
    if (key !== null) this.string(key);
    this.len(s.size);
    for (const m of s) this.string(m);
  }

  private zset(key: string | null, z: RedisZSet): void {
    if (z.enc === ZSET_LISTPACK) {
      this.byte(RDB_TYPE_ZSET_LISTPACK);
      if (key !== null) this.string(key);
      lp.reset();
      for (const [m, score] of z.entries()) {
        lp.add(m);
        lp.add(d2string(score));
      }
      this.blob(lp.finish());
      return;
    }
    this.byte(RDB_TYPE_ZSET_2);
    if (key !== null) this.string(key);
    this.len(z.size);
    // Redis saves from the tail so loading inserts at the head; any order loads correctly.
    const entries = [...z.entries()];
    for (let i = entries.length - 1; i >= 0; i--) {
      this.string(entries[i][0]);
      this.binaryDouble(entries[i][1]);
    }
  }
}

/**
 * An intset blob: encoding (2/4/8), length, then the sorted values little-endian. The width is at least
 * `minWidth`: an intset keeps the width its largest member ever needed.
 */
function encodeIntset(values: bigint[], minWidth: number): Buffer {
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const min = values[0];
  const max = values[values.length - 1];
  const need = min >= -32768n && max <= 32767n ? 2 : min >= -2147483648n && max <= 2147483647n ? 4 : 8;
  const width = Math.max(need, minWidth);
  const out = Buffer.allocUnsafe(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  let p = 8;
  for (const v of values) {
    if (width === 2) out.writeInt16LE(Number(v), p);
    else if (width === 4) out.writeInt32LE(Number(v), p);
    else out.writeBigInt64LE(v, p);
    p += width;
  }
  return out;
}
