/**
 * Loading RDB files.
 *
 *   loadRdb(source: Buffer | AsyncIterable<Buffer>, keyspace, opts?): Promise<{ aux; keys }>
 *
 * Reads Redis's RDB format, versions 1 to 11, streaming: with an async iterable (a socket during a
 * full sync, a file stream) each complete record is applied as soon as its bytes have arrived, so a
 * replica loads while the transfer runs and memory holds at most one record plus one chunk. Keys go
 * into the keyspace's databases through Database.setKey/setExpire. It reads every encoding Redis 7.0
 * (and older versions) writes for strings, lists (plain, ziplist, quicklist, quicklist 2 of listpacks),
 * sets (plain, intset, listpack), hashes (plain, zipmap, ziplist, listpack) and sorted sets (plain,
 * binary-double, ziplist, listpack) and streams (types 15, 19 and 7.2's 21, consumer groups included).
 * Function libraries (RDB_OPCODE_FUNCTION2) go to keyspace.functions. Modules are not supported: a file
 * holding one fails with an RdbError naming it.
 *
 * Any malformed, truncated or checksum-failing input rejects with an RdbError. Keys applied before the
 * error stay in the keyspace: callers that must not keep a partial dataset (start-up exits; a replica
 * flushes) handle that. On a master (keyspace.isReplica false), keys whose TTL already passed are
 * skipped unless `keepExpired` (as Redis does, except for an AOF preamble).
 */

import { encodingConfig } from "../store/encoding-config.js";
import type { Keyspace } from "../store/keyspace.js";
import { Listpack, validateListpack } from "../store/listpack.js";
import { HASH_HASHTABLE, HASH_LISTPACK } from "../store/redis-hash.js";
import { SET_HASHTABLE } from "../store/redis-set.js";
import {
  i64,
  STREAM_ITEM_FLAG_SAMEFIELDS,
  StreamConsumer,
  type StreamNACK,
  StreamNode,
} from "../store/redis-stream.js";
import {
  RedisHash,
  RedisList,
  RedisSet,
  RedisStream,
  type RedisValue,
  RedisZSet,
} from "../store/redis-value.js";
import { ZSET_LISTPACK, ZSET_SKIPLIST } from "../store/redis-zset.js";
import { compareId, decodeId, type U64, u64 } from "../store/stream-id.js";
import { Crc64 } from "./crc64.js";
import { lzfDecompress } from "./lzf.js";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RdbError,
} from "./rdb-format.js";

export interface RdbLoadResult {
  aux: Map<string, string>;
  /** Keys loaded (expired ones skipped are not counted). */
  keys: number;
}

export interface RdbLoadOptions {
  /** Keep keys whose TTL has passed (AOF preambles, replicas). Default: keyspace.isReplica. */
  keepExpired?: boolean;
  /** Replace keys that already exist instead of failing on them (DEBUG RELOAD MERGE). */
  merge?: boolean;
}

/** Highest RDB version we read (7.2's 11 only adds encodings handled here). */
const MAX_VERSION = 11;

/** Thrown inside a record parse when the buffer ends early; the record is retried with more bytes. */
const INCOMPLETE = { incomplete: true };

// ─── the parser ──────────────────────────────────────────────────────────────────────────────────────────

class RdbParser {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Absolute end offset (in buf) the last incomplete parse needed; 0 when unknown. */
  private neededEnd = 0;
  private readonly crc = new Crc64();
  private version = 0;
  private headerDone = false;
  done = false;
  private dbId = 0;
  readonly aux = new Map<string, string>();
  keys = 0;
  private readonly keepExpired: boolean;
  private readonly merge: boolean;
  private readonly now = Date.now();

  constructor(
    private readonly keyspace: Keyspace,
    opts: RdbLoadOptions,
  ) {
    this.keepExpired = opts.keepExpired ?? keyspace.isReplica;
    this.merge = opts.merge ?? false;
  }

  /** How many bytes must be buffered (from pos) before another attempt can make progress. */
  get wanted(): number {
    return Math.max(this.neededEnd - this.pos, 2 * (this.buf.length - this.pos), 1);
  }

  /** Parses complete records; returns when the buffer runs out or the file ended. */
  run(): void {
    while (!this.done) {
      const start = this.pos;
      try {
        if (!this.headerDone) this.header();
        else this.record();
      } catch (err) {
        if (err === INCOMPLETE) {
          this.pos = start;
          return;
        }
        throw err;
      }
      if (!this.done) this.crc.update(this.buf, start, this.pos);
    }
  }

  // ─── primitives ────────────────────────────────────────────────────────────────────────────────────────

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.neededEnd = this.pos + n;
      throw INCOMPLETE;
    }
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  private bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** rdbLoadLenByRef: returns the length, or -1 - encoding for a special-encoded string. */
  private lenOrEnc(): number {
    const b = this.u8();
    const kind = b >> 6;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.u8();
    if (kind === 3) return -1 - (b & 0x3f);
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError("length out of range");
      return Number(v);
    }
    throw new RdbError(`unknown length encoding 0x${b.toString(16)}`);
  }

  /** rdbLoadLen of a full 64-bit unsigned value (stream IDs and counters). */
  private lenU64(): U64 {
    const b = this.u8();
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return u64(v);
    }
    this.pos--;
    return this.len();
  }

  private len(): number {
    const n = this.lenOrEnc();
    if (n < 0) throw new RdbError("unexpected encoded string where a length was expected");
    return n;
  }

  /** rdbGenericLoadStringObject, as raw bytes (integer encodings become their decimal text). */
  private stringBuf(): Buffer {
    const n = this.lenOrEnc();
    if (n >= 0) return this.bytes(n);
    const enc = -1 - n;
    if (enc === RDB_ENC_INT8) {
      this.need(1);
      return Buffer.from(String(this.buf.readInt8(this.pos++)), "latin1");
    }
    if (enc === RDB_ENC_INT16) {
      this.need(2);
      const v = this.buf.readInt16LE(this.pos);
      this.pos += 2;
      return Buffer.from(String(v), "latin1");
    }
    if (enc === RDB_ENC_INT32) {
      this.need(4);
      const v = this.buf.readInt32LE(this.pos);
      this.pos += 4;
      return Buffer.from(String(v), "latin1");
    }
    if (enc === RDB_ENC_LZF) {
      const clen = this.len();
      const ulen = this.len();
      const data = this.bytes(clen);
      try {
        return lzfDecompress(data, ulen);
      } catch (err) {
        throw new RdbError((err as Error).message);
      }
    }
    throw new RdbError(`unknown string encoding ${enc}`);
  }

  /** A string as a latin1 JS string (a copy: nothing retains the input chunk). */
  private string(): string {
    const n = this.lenOrEnc();
    if (n >= 0) {
      this.need(n);
      const s = this.buf.latin1Slice(this.pos, this.pos + n);
      this.pos += n;
      return s;
    }
    if (n === -1 - RDB_ENC_INT8) {
      this.need(1);
      return String(this.buf.readInt8(this.pos++));
    }
    this.pos--; // re-read the encoding byte through the generic path
    return this.stringBuf().toString("latin1");
  }

  private i64LE(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  /** The old text double of RDB_TYPE_ZSET. */
  private textDouble(): number {
    const n = this.u8();
    if (n === 253) return Number.NaN;
    if (n === 254) return Number.POSITIVE_INFINITY;
    if (n === 255) return Number.NEGATIVE_INFINITY;
    return parseScore(this.bytes(n).toString("latin1"));
  }

  private binaryDouble(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  // ─── structure ─────────────────────────────────────────────────────────────────────────────────────────

  private header(): void {
    const magic = this.bytes(9).toString("latin1");
    if (!magic.startsWith("REDIS"))
      throw new RdbError("Wrong signature trying to load DB from file", "TANDEM_RDB_BAD_HEADER");
    const version = Number(magic.slice(5));
    if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION)
      throw new RdbError(`Can't handle RDB format version ${magic.slice(5)}`, "TANDEM_RDB_BAD_HEADER");
    this.version = version;
    this.headerDone = true;
    this.keyspace.functions?.beginLoad();
  }

  private record(): void {
    let expire: number | undefined;
    let idle = -1;
    let freq = -1;
    for (;;) {
      const type = this.u8();
      switch (type) {
        case RDB_OPCODE_EXPIRETIME_MS:
          expire = this.i64LE();
          continue;
        case RDB_OPCODE_EXPIRETIME: {
          this.need(4);
          expire = this.buf.readInt32LE(this.pos) * 1000;
          this.pos += 4;
          continue;
        }
        case RDB_OPCODE_IDLE:
          idle = this.len();
          continue;
        case RDB_OPCODE_FREQ:
          freq = this.u8();
          continue;
        case RDB_OPCODE_SELECTDB: {
          const id = this.len();
          if (id >= this.keyspace.dbs.length)
            throw new RdbError(
              `FATAL: Data file was created with a Redis server configured to handle more than ${this.keyspace.dbs.length} databases. Exiting`,
              "TANDEM_RDB_UNSUPPORTED",
            );
          this.dbId = id;
          return;
        }
        case RDB_OPCODE_RESIZEDB:
          this.len();
          this.len();
          return;
        case RDB_OPCODE_AUX: {
          const k = this.string();
          const v = this.string();
          this.aux.set(k, v);
          return;
        }
        case RDB_OPCODE_FUNCTION2: {
          const code = this.string();
          const fns = this.keyspace.functions;
          if (fns !== null) {
            try {
              fns.loadLibrary(code);
            } catch (err) {
              throw new RdbError(`Failed loading library: ${(err as Error).message}`);
            }
          }
          return;
        }
        case RDB_OPCODE_FUNCTION:
          throw new RdbError(
            "unsupported RDB content: pre-release function format",
            "TANDEM_RDB_UNSUPPORTED",
          );
        case RDB_OPCODE_MODULE_AUX:
          throw new RdbError(
            "unsupported RDB content: module auxiliary data (modules are not supported)",
            "TANDEM_RDB_UNSUPPORTED",
          );
        case RDB_OPCODE_EOF:
          this.eof();
          return;
        default: {
          const key = this.string();
          const value = this.value(type, key);
          this.store(
            key,
            value,
            expire,
            idle >= 0 || freq >= 0 ? this.keyspace.clock.restored(freq, idle) : null,
          );
          return;
        }
      }
    }
  }

  private eof(): void {
    if (this.version >= 5) {
      this.crc.update(this.buf, this.pos - 1, this.pos); // the EOF opcode is covered by the checksum
      this.need(8);
      const stored = this.buf.subarray(this.pos, this.pos + 8);
      this.pos += 8;
      const zero = stored.every((b) => b === 0);
      if (!zero && !stored.equals(this.crc.digestLE()))
        throw new RdbError("Wrong RDB checksum. Aborting now.", "TANDEM_RDB_CHECKSUM");
    }
    this.done = true;
  }

  /** Adds a loaded key; `clock` is its access clock from IDLE/FREQ opcodes (null: starts now). */
  private store(
    key: string,
    value: RedisValue | null,
    expire: number | undefined,
    clock: number | null,
  ): void {
    const db = this.keyspace.dbs[this.dbId];
    if (!this.merge && this.keyspace.writeHook === null) {
      // The common case (start-up, a replica's full sync): one Map operation per key instead of a
      // lookup plus setKey; a duplicate shows as a size that did not grow (the load fails either way).
      // A key already expired on a master, or an empty container, is skipped as Redis does.
      if (value === null || (expire !== undefined && !this.keepExpired && expire < this.now)) {
        if (db.dict.has(key))
          throw new RdbError(`Duplicate key '${key}' found in RDB file`, "TANDEM_RDB_DUPLICATE_KEY");
        return;
      }
      if (!db.addLoaded(key, value, clock ?? undefined))
        throw new RdbError(`Duplicate key '${key}' found in RDB file`, "TANDEM_RDB_DUPLICATE_KEY");
      if (expire !== undefined) db.expires.set(key, expire);
      this.keys++;
      return;
    }
    if (!this.merge && db.dict.has(key))
      throw new RdbError(`Duplicate key '${key}' found in RDB file`, "TANDEM_RDB_DUPLICATE_KEY");
    if (value === null) return; // empty container: Redis skips these too
    if (expire !== undefined && !this.keepExpired && expire < this.now) return;
    db.setKey(key, value);
    if (clock !== null) db.lru.set(key, clock);
    if (expire !== undefined) db.setExpire(key, expire);
    this.keys++;
  }

  /**
   * A DUMP payload's object (rdbLoadObjectType + rdbLoadObject): its type byte must be one Redis 7.0
   * knows (0-7, 9-19); bytes after the object are ignored, as RESTORE ignores them.
   */
  dumpValue(key: string): RedisValue | null {
    const type = this.u8();
    if (!((type >= 0 && type <= 7) || (type >= 9 && type <= 19))) return null;
    return this.value(type, key);
  }

  // ─── values ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * One value of the given type; null for an empty container. Containers get the encoding Redis 7.0's
   * rdbLoadObject gives them: from their content for the plain types, the stored compact encoding for
   * listpacks, ziplists and intsets unless they hold more entries than the current thresholds allow.
   */
  value(type: number, key: string): RedisValue | null {
    switch (type) {
      case RDB_TYPE_STRING:
        return this.string();
      case RDB_TYPE_LIST: {
        const n = this.len();
        const l = new RedisList();
        for (let i = 0; i < n; i++) l.pushBack(this.string());
        return l.length ? l : null;
      }
      case RDB_TYPE_SET: {
        const n = this.len();
        const s = new RedisSet();
        for (let i = 0; i < n; i++) s.add(this.string());
        return s.size ? s : null;
      }
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2: {
        const n = this.len();
        const pairs: [string, number][] = [];
        for (let i = 0; i < n; i++) {
          const m = this.string();
          const score = type === RDB_TYPE_ZSET_2 ? this.binaryDouble() : this.textDouble();
          if (Number.isNaN(score)) throw new RdbError(`Zset with NAN score detected (key '${key}')`);
          pairs.push([m, score]);
        }
        return buildZset(pairs);
      }
      case RDB_TYPE_HASH: {
        const n = this.len();
        const h = new RedisHash();
        for (let i = 0; i < n; i++) {
          const f = this.string();
          h.set(f, this.string());
        }
        return h.size ? h : null;
      }
      case RDB_TYPE_HASH_ZIPMAP:
        return pairsToHash(decodeZipmap(this.stringBuf()));
      case RDB_TYPE_LIST_ZIPLIST:
        return nonEmptyList(decodeZiplist(this.stringBuf()));
      case RDB_TYPE_SET_INTSET: {
        const blob = this.stringBuf();
        const s = nonEmptySet(decodeIntset(blob));
        // Loaded as the intset it is (its element width too) unless it holds too many entries.
        if (s !== null && s.enc !== SET_HASHTABLE) s.intsetWidth = blob.readUInt32LE(0);
        return s;
      }
      case RDB_TYPE_SET_LISTPACK:
        return nonEmptySet(decodeListpack(this.stringBuf()));
      case RDB_TYPE_ZSET_ZIPLIST:
        return compactZset(flatToZset(decodeZiplist(this.stringBuf())));
      case RDB_TYPE_ZSET_LISTPACK:
        return compactZset(flatToZset(decodeListpack(this.stringBuf())));
      case RDB_TYPE_HASH_ZIPLIST:
        return compactHash(pairsToHash(decodeZiplist(this.stringBuf())));
      case RDB_TYPE_HASH_LISTPACK:
        return compactHash(pairsToHash(decodeListpack(this.stringBuf())));
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const nodes = this.len();
        const l = new RedisList();
        for (let i = 0; i < nodes; i++) {
          let container = QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === RDB_TYPE_LIST_QUICKLIST_2) {
            container = this.len();
            if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN)
              throw new RdbError(`quicklist integrity check failed (unknown container ${container})`);
          }
          if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
            l.pushBack(this.string());
            continue;
          }
          const blob = this.stringBuf();
          const items = type === RDB_TYPE_LIST_QUICKLIST_2 ? decodeListpack(blob) : decodeZiplist(blob);
          for (const it of items) l.pushBack(it);
        }
        return l.length ? l : null;
      }
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
      case RDB_TYPE_STREAM_LISTPACKS_3:
        return this.stream(type);
      default:
        throw new RdbError(
          `unsupported RDB value type ${type} for key '${key}' (module types are not supported)`,
        );
    }
  }

  /** A stream (rdbLoadObject's RDB_TYPE_STREAM_LISTPACKS* branch); empty streams are kept. */
  private stream(type: number): RedisStream {
    const s = new RedisStream();
    const count = this.len();
    let sorted = true;
    for (let i = 0; i < count; i++) {
      const key = this.stringBuf();
      if (key.length !== 16) throw new RdbError("Stream node key entry is not the size of a stream ID");
      const master = decodeId(key, 0);
      const lpBytes = this.stringBuf();
      if (!validStreamListpack(lpBytes)) throw new RdbError("Stream listpack integrity check failed.");
      if (lpBytes.length <= 7) throw new RdbError("Empty listpack inside stream");
      const node = new StreamNode(master.ms, master.seq, Listpack.fromBytes(lpBytes));
      const prev = s.nodes[s.nodes.length - 1];
      if (prev !== undefined && compareId(prev, master) >= 0) sorted = false;
      s.nodes.push(node);
    }
    if (!sorted) {
      s.nodes.sort((a, b) => compareId(a, b));
      for (let i = 1; i < s.nodes.length; i++)
        if (compareId(s.nodes[i - 1], s.nodes[i]) === 0)
          throw new RdbError("Listpack re-added with existing key");
    }
    s.length = Number(this.lenU64());
    s.lastId = { ms: this.lenU64(), seq: this.lenU64() };
    if (type >= RDB_TYPE_STREAM_LISTPACKS_2) {
      s.firstId = { ms: this.lenU64(), seq: this.lenU64() };
      s.maxDeletedId = { ms: this.lenU64(), seq: this.lenU64() };
      s.entriesAdded = this.lenU64();
    } else {
      s.entriesAdded = s.length;
      s.firstId = s.edgeId(true, true);
    }
    if (s.length && s.nodes.length === 0) throw new RdbError("Stream length inconsistent with rax entries");
    const groups = this.len();
    for (let g = 0; g < groups; g++) {
      const name = this.string();
      const lastId = { ms: this.lenU64(), seq: this.lenU64() };
      const entriesRead =
        type >= RDB_TYPE_STREAM_LISTPACKS_2
          ? i64(BigInt.asIntN(64, BigInt(this.lenU64())))
          : s.estimateDistanceFromFirstEverEntry(lastId);
      const cg = s.createCG(name, lastId, entriesRead);
      if (cg === null) throw new RdbError(`Duplicated consumer group name ${name}`);
      const pelSize = this.len();
      for (let i = 0; i < pelSize; i++) {
        const id = decodeId(this.bytes(16), 0);
        const deliveryTime = this.i64LE();
        const deliveryCount = i64(BigInt.asIntN(64, BigInt(this.lenU64())));
        const nack: StreamNACK = { deliveryTime, deliveryCount, consumer: null };
        if (!cg.pel.insert(id, nack))
          throw new RdbError("Duplicated global PEL entry loading stream consumer group");
      }
      const consumers = this.len();
      for (let c = 0; c < consumers; c++) {
        const cname = this.string();
        if (cg.consumers.has(cname)) throw new RdbError("Duplicate stream consumer detected.");
        const seenTime = this.i64LE();
        if (type >= RDB_TYPE_STREAM_LISTPACKS_3) this.i64LE(); // 7.2's active-time: 7.0 has no such field
        const consumer = new StreamConsumer(cname, seenTime);
        cg.addConsumer(consumer);
        const n = this.len();
        for (let i = 0; i < n; i++) {
          const id = decodeId(this.bytes(16), 0);
          const nack = cg.pel.get(id);
          if (nack === undefined) throw new RdbError("Consumer entry not found in group global PEL");
          nack.consumer = consumer;
          if (!consumer.pel.insert(id, nack))
            throw new RdbError("Duplicated consumer PEL entry  loading a stream consumer group");
        }
      }
      // Every pending entry must have found its owner, or later commands would meet an orphan NACK.
      cg.pel.forEach((_id, nack) => {
        if (nack.consumer === null) throw new RdbError("Stream CG PEL entry without consumer");
      });
    }
    return s;
  }
}

/**
 * streamValidateListpackIntegrity (deep): the listpack is well formed and its elements form a master
 * entry followed by count + deleted entries whose lp-count fields agree with their shape.
 */
function validStreamListpack(b: Buffer): boolean {
  const offs = validateListpack(b);
  if (offs === null || offs.length < 4) return false;
  const lp = new Listpack(b, b.length);
  let i = 0;
  const int = (): number | null => {
    if (i >= offs.length) return null;
    try {
      const v = lp.getInt(offs[i++]);
      return typeof v === "number" ? v : Number(v);
    } catch {
      return null;
    }
  };
  const count = int();
  const deleted = int();
  const masterFields = int();
  if (count === null || deleted === null || masterFields === null || masterFields < 0) return false;
  i += masterFields;
  if (int() !== 0) return false;
  let entries = count + deleted;
  while (entries-- > 0) {
    const flags = int();
    if (flags === null || int() === null || int() === null) return false;
    let fields = masterFields;
    let extra = 3;
    if (!(flags & STREAM_ITEM_FLAG_SAMEFIELDS)) {
      const nf = int();
      if (nf === null || nf < 0) return false;
      fields = nf;
      i += nf;
      extra += nf + 1;
    }
    i += fields;
    if (i > offs.length) return false;
    if (int() !== fields + extra) return false;
  }
  return i === offs.length;
}

// ─── compact encodings (listpack, ziplist, intset, zipmap) ────────────────────────────────────────────────

function corrupt(what: string): never {
  throw new RdbError(`${what} integrity check failed`);
}

/**
 * Runs a decoder whose reads may run past the blob on corrupt input: Buffer's own bounds check (a
 * RangeError) is then the integrity check, reported like the others.
 */
function bounded(what: string, decode: (b: Buffer) => string[], b: Buffer): string[] {
  try {
    return decode(b);
  } catch (err) {
    if (err instanceof RangeError) corrupt(what);
    throw err;
  }
}

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** All elements of a listpack, integers as decimal text. */
export function decodeListpack(b: Buffer): string[] {
  return bounded("listpack", decodeListpackUnchecked, b);
}

function decodeListpackUnchecked(b: Buffer): string[] {
  if (b.length < 7) corrupt("listpack");
  const total = b.readUInt32LE(0);
  if (total !== b.length) corrupt("listpack");
  const out: string[] = [];
  let p = 6;
  for (;;) {
    if (p >= total) corrupt("listpack");
    const c = b[p];
    if (c === 0xff) break;
    let entryLen: number;
    if ((c & 0x80) === 0) {
      out.push(String(c));
      entryLen = 1;
    } else if ((c & 0xc0) === 0x80) {
      const n = c & 0x3f;
      if (p + 1 + n > total) corrupt("listpack");
      out.push(b.latin1Slice(p + 1, p + 1 + n));
      entryLen = 1 + n;
    } else if ((c & 0xe0) === 0xc0) {
      let v = ((c & 0x1f) << 8) | b[p + 1];
      if (v >= 4096) v -= 8192;
      out.push(String(v));
      entryLen = 2;
    } else if ((c & 0xf0) === 0xe0) {
      const n = ((c & 0x0f) << 8) | b[p + 1];
      if (p + 2 + n > total) corrupt("listpack");
      out.push(b.latin1Slice(p + 2, p + 2 + n));
      entryLen = 2 + n;
    } else if (c === 0xf1) {
      out.push(String(b.readInt16LE(p + 1)));
      entryLen = 3;
    } else if (c === 0xf2) {
      out.push(String(b.readIntLE(p + 1, 3)));
      entryLen = 4;
    } else if (c === 0xf3) {
      out.push(String(b.readInt32LE(p + 1)));
      entryLen = 5;
    } else if (c === 0xf4) {
      out.push(String(b.readBigInt64LE(p + 1)));
      entryLen = 9;
    } else if (c === 0xf0) {
      const n = b.readUInt32LE(p + 1);
      if (p + 5 + n > total) corrupt("listpack");
      out.push(b.latin1Slice(p + 5, p + 5 + n));
      entryLen = 5 + n;
    } else {
      corrupt("listpack");
    }
    p += entryLen + backlenSize(entryLen);
  }
  return out;
}

/** All elements of a ziplist (Redis < 7 lists, hashes and sorted sets). */
export function decodeZiplist(b: Buffer): string[] {
  return bounded("ziplist", decodeZiplistUnchecked, b);
}

function decodeZiplistUnchecked(b: Buffer): string[] {
  if (b.length < 11 || b.readUInt32LE(0) !== b.length) corrupt("ziplist");
  const out: string[] = [];
  let p = 10;
  for (;;) {
    if (p >= b.length) corrupt("ziplist");
    if (b[p] === 0xff) break;
    p += b[p] < 254 ? 1 : 5; // prevlen
    if (p >= b.length) corrupt("ziplist");
    const c = b[p];
    const kind = c >> 6;
    if (kind === 0 || kind === 1 || kind === 2) {
      let n: number;
      if (kind === 0) {
        n = c & 0x3f;
        p += 1;
      } else if (kind === 1) {
        n = ((c & 0x3f) << 8) | b[p + 1];
        p += 2;
      } else {
        n = b.readUInt32BE(p + 1);
        p += 5;
      }
      if (p + n > b.length) corrupt("ziplist");
      out.push(b.latin1Slice(p, p + n));
      p += n;
      continue;
    }
    p += 1;
    if (c === 0xc0) {
      out.push(String(b.readInt16LE(p)));
      p += 2;
    } else if (c === 0xd0) {
      out.push(String(b.readInt32LE(p)));
      p += 4;
    } else if (c === 0xe0) {
      out.push(String(b.readBigInt64LE(p)));
      p += 8;
    } else if (c === 0xf0) {
      out.push(String(b.readIntLE(p, 3)));
      p += 3;
    } else if (c === 0xfe) {
      out.push(String(b.readInt8(p)));
      p += 1;
    } else if (c >= 0xf1 && c <= 0xfd) {
      out.push(String((c & 0x0f) - 1));
    } else {
      corrupt("ziplist");
    }
  }
  return out;
}

export function decodeIntset(b: Buffer): string[] {
  return bounded("intset", decodeIntsetUnchecked, b);
}

function decodeIntsetUnchecked(b: Buffer): string[] {
  if (b.length < 8) corrupt("intset");
  const width = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + width * n !== b.length) corrupt("intset");
  const out: string[] = [];
  for (let i = 0, p = 8; i < n; i++, p += width) {
    out.push(
      width === 2
        ? String(b.readInt16LE(p))
        : width === 4
          ? String(b.readInt32LE(p))
          : String(b.readBigInt64LE(p)),
    );
  }
  return out;
}

/** The zipmap of Redis < 2.6 hashes: flat field, value list. */
export function decodeZipmap(b: Buffer): string[] {
  return bounded("zipmap", decodeZipmapUnchecked, b);
}

function decodeZipmapUnchecked(b: Buffer): string[] {
  const out: string[] = [];
  let p = 1;
  const readLen = (): number => {
    if (p >= b.length) corrupt("zipmap");
    const c = b[p];
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      const n = b.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    return -1;
  };
  for (;;) {
    const klen = readLen();
    if (klen < 0) break;
    if (p + klen > b.length) corrupt("zipmap");
    out.push(b.latin1Slice(p, p + klen));
    p += klen;
    const vlen = readLen();
    if (vlen < 0) corrupt("zipmap");
    const free = b[p++];
    if (p + vlen + free > b.length) corrupt("zipmap");
    out.push(b.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  return out;
}

// ─── builders ────────────────────────────────────────────────────────────────────────────────────────────

function parseScore(s: string): number {
  const l = s.toLowerCase();
  if (l === "inf" || l === "+inf" || l === "infinity") return Number.POSITIVE_INFINITY;
  if (l === "-inf" || l === "-infinity") return Number.NEGATIVE_INFINITY;
  const v = Number(s);
  if (Number.isNaN(v) && l !== "nan") throw new RdbError(`invalid sorted set score '${s}'`);
  return v;
}

function nonEmptyList(items: string[]): RedisList | null {
  return items.length ? RedisList.from(items) : null;
}

function nonEmptySet(items: string[]): RedisSet | null {
  return items.length ? RedisSet.from(items) : null;
}

function pairsToHash(flat: string[]): RedisHash | null {
  if (flat.length % 2 !== 0) corrupt("hash");
  const h = new RedisHash();
  for (let i = 0; i < flat.length; i += 2) h.set(flat[i], flat[i + 1]);
  return h.size ? h : null;
}

/** A hash loaded from a listpack or ziplist stays one unless it has too many entries (long values or not). */
function compactHash(h: RedisHash | null): RedisHash | null {
  if (h !== null) h.enc = h.size > encodingConfig.hashMaxListpackEntries ? HASH_HASHTABLE : HASH_LISTPACK;
  return h;
}

/** The same rule for sorted sets. */
function compactZset(z: RedisZSet | null): RedisZSet | null {
  if (z !== null) z.enc = z.size > encodingConfig.zsetMaxListpackEntries ? ZSET_SKIPLIST : ZSET_LISTPACK;
  return z;
}

function flatToZset(flat: string[]): RedisZSet | null {
  if (flat.length % 2 !== 0) corrupt("zset");
  const pairs: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], parseScore(flat[i + 1])]);
  return buildZset(pairs);
}

/** Inserts in ascending (score, member) order, so each insertion lands at the end (no O(n²) splicing). */
function buildZset(pairs: [string, number][]): RedisZSet | null {
  if (pairs.length === 0) return null;
  pairs.sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const z = new RedisZSet();
  for (const [m, s] of pairs) z.add(m, s);
  return z;
}

// ─── entry point ─────────────────────────────────────────────────────────────────────────────────────────

/** Loads an RDB into the keyspace (see the file comment). */
export async function loadRdb(
  source: Buffer | AsyncIterable<Buffer>,
  keyspace: Keyspace,
  opts: RdbLoadOptions = {},
): Promise<RdbLoadResult> {
  const p = new RdbParser(keyspace, opts);
  if (Buffer.isBuffer(source)) {
    p.buf = source;
    p.run();
  } else {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of source) {
      if (p.done) break;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < p.wanted) continue;
      p.buf =
        pending.length === 1 && p.pos === p.buf.length
          ? pending[0]
          : Buffer.concat([p.buf.subarray(p.pos), ...pending]);
      p.pos = 0;
      pending = [];
      pendingBytes = 0;
      p.run();
    }
    if (!p.done && pendingBytes > 0) {
      p.buf = Buffer.concat([p.buf.subarray(p.pos), ...pending]);
      p.pos = 0;
      p.run();
    }
  }
  if (!p.done)
    throw new RdbError(
      "Short read or OOM loading DB. Unrecoverable error, aborting now.",
      "TANDEM_RDB_TRUNCATED",
    );
  return { aux: p.aux, keys: p.keys };
}

/**
 * The value of a DUMP payload whose footer (RDB version, CRC64) was checked, read from the start of the
 * whole payload as Redis reads it (footer included, so a value may run into it), or null when the bytes do
 * not hold one (Redis's "Bad data format": unknown or unsupported type, malformed or truncated encoding, an
 * empty container). Encodings follow the loader's rules with the current thresholds.
 */
export function loadDumpValue(payload: Buffer, key: string, keyspace: Keyspace): RedisValue | null {
  const p = new RdbParser(keyspace, {});
  p.buf = payload;
  try {
    return p.dumpValue(key);
  } catch {
    // Truncation, a malformed encoding, or a read past the end of a blob inside a decoder: all are bad data.
    return null;
  }
}

/** Loads an RDB held in memory (synchronous variant, DEBUG RELOAD and tests). */
export function loadRdbSync(source: Buffer, keyspace: Keyspace, opts: RdbLoadOptions = {}): RdbLoadResult {
  const p = new RdbParser(keyspace, opts);
  p.buf = source;
  p.run();
  if (!p.done)
    throw new RdbError(
      "Short read or OOM loading DB. Unrecoverable error, aborting now.",
      "TANDEM_RDB_TRUNCATED",
    );
  return { aux: p.aux, keys: p.keys };
}
