import type { AccessClock } from "./access-clock.js";
import type { Keyspace } from "./keyspace.js";
import { DETACHED, HEAP_NUMBER, MemoryAccount, mapTableBytes, stringBytes } from "./memory-model.js";
import { MutableString } from "./mutable-string.js";
import type { RedisValue, StoredValue } from "./redis-value.js";

/** A value's size estimate (memory-model.ts). */
export function valueBytes(v: StoredValue): number {
  return typeof v === "string" ? stringBytes(v.length) : v.bytes;
}

/**
 * One numbered database: the main dictionary and the expires dictionary (absolute unix ms), as Redis's
 * redisDb, plus what Redis keeps in each robj besides the value: the access clock (`lru`, see
 * access-clock.ts) and, for the few strings whose encoding is not what their content says, that encoding.
 * Every mutation goes through these methods, so the keyspace's write hook (used by point-in-time snapshots)
 * sees a key before it changes — including deletion, expiry and creation — and the size estimate
 * (`acct`, memory-model.ts) stays current.
 *
 * Rule for command code: to change a container in place, fetch it with `lookupKeyWrite`, never
 * `lookupKeyRead`.
 *
 * A string may be held as a MutableString (bytes edited in place by SETBIT, SETRANGE, BITFIELD, PFADD).
 * Only `lookupRawRead`/`lookupRawWrite` hand that form out; `lookupKeyRead`/`lookupKeyWrite` turn it back
 * into a JS string (and keep the string), so code outside the byte-level commands never meets it. Code
 * that reads `dict` directly must handle it (see StoredValue).
 */
export class Database {
  dict = new Map<string, StoredValue>();
  expires = new Map<string, number>();
  /** Per key: its access clock (Redis's robj.lru): the LRU clock of the last access, or LFU time and counter. */
  lru = new Map<string, number>();
  /**
   * The clock of keys a load brought in without one (an RDB without LRU/LFU records: the usual case): the
   * clock when that load began. Such keys get no `lru` entry until their first access, so a replica's load
   * does one Map operation per key instead of two. Undefined until such a load.
   */
  private loadedClock: number | undefined = undefined;
  /** String keys whose OBJECT ENCODING is not the one their content implies (see object-encoding.ts). */
  stringEncodings = new Map<string, number>();
  /** The estimated bytes of this db's keys and values; replaced (not zeroed) when the db is emptied. */
  acct = new MemoryAccount();
  /** Number of times the whole db was replaced (FLUSHDB, SWAPDB): lets iterators notice. */
  epoch = 0;
  private readonly clock: AccessClock;

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {
    this.clock = keyspace.clock;
  }

  get size(): number {
    return this.dict.size;
  }

  /** Estimated bytes of this db: keys, values and the tables holding them (memory-model.ts). */
  get bytes(): number {
    if (this.dict.size === 0) return 0;
    return this.acct.bytes + this.overheadMain + this.overheadExpires;
  }

  /** The main table's bytes with what Redis keeps per key beside it (MEMORY STATS overhead.hashtable.main). */
  get overheadMain(): number {
    return (
      mapTableBytes(this.dict.size) + mapTableBytes(this.lru.size) + mapTableBytes(this.stringEncodings.size)
    );
  }

  /** The expires table's bytes with its boxed times (overhead.hashtable.expires). */
  get overheadExpires(): number {
    const e = this.expires.size;
    return mapTableBytes(e) + e * HEAP_NUMBER;
  }

  /** Removes a key and everything kept for it. */
  private unlink(key: string, v: StoredValue): void {
    this.dict.delete(key);
    if (this.expires.size !== 0) this.expires.delete(key);
    this.lru.delete(key);
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
    const acct = this.acct;
    acct.bytes -= stringBytes(key.length) + valueBytes(v);
    if (typeof v !== "string" && v.acct === acct) v.acct = DETACHED;
  }

  // ─── expiry ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * True when the key has a TTL in the past. On a master it is deleted (and the keyspace reports it so a
   * DEL is propagated); a replica leaves it to the master's DEL but still treats it as gone for readers.
   */
  expireIfNeeded(key: string): boolean {
    const when = this.expires.get(key);
    if (when === undefined || when > Date.now()) return false;
    const ks = this.keyspace;
    if (ks.isReplica) return !ks.applyingMasterStream;
    this.keyspace.writeHook?.(this, key);
    const v = this.dict.get(key);
    if (v !== undefined) this.unlink(key, v);
    else this.expires.delete(key);
    ks.onExpired(this, key);
    return true;
  }

  // ─── lookups ───────────────────────────────────────────────────────────────────────────────────────────

  /** Records an access (lookupKey without LOOKUP_NOTOUCH): one store of the cached clock, or an LFU step. */
  private touch(key: string): void {
    const clock = this.clock;
    this.lru.set(key, clock.lfu ? clock.touched(this.lru.get(key) ?? this.loadedClock) : clock.lruClock);
  }

  /** A key's access clock (Redis's robj.lru), for OBJECT IDLETIME/FREQ and eviction's sampling. */
  accessClockOf(key: string): number {
    return this.lru.get(key) ?? this.loadedClock ?? this.clock.initial();
  }

  lookupKeyRead(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.touch(key);
    return v instanceof MutableString ? this.materialize(key, v) : v;
  }

  /** A read that is not an access (Redis's LOOKUP_NOTOUCH: TYPE, EXISTS, TTL, OBJECT). */
  lookupKeyReadNoTouch(key: string): StoredValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v;
  }

  /** For commands that will modify the value in place: the snapshot hook runs first. */
  lookupKeyWrite(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) {
      return undefined;
    }
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.keyspace.writeHook?.(this, key);
    this.touch(key);
    return v instanceof MutableString ? this.materialize(key, v) : v;
  }

  /** lookupKeyRead that leaves a MutableString as it is (byte-level string commands). */
  lookupRawRead(key: string): StoredValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.touch(key);
    return v;
  }

  /** lookupKeyWrite that leaves a MutableString as it is: the caller may edit it in place. */
  lookupRawWrite(key: string): StoredValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.keyspace.writeHook?.(this, key);
    this.touch(key);
    return v;
  }

  /**
   * Stores another representation of the value a key already holds (string ↔ MutableString). Nothing
   * observable changes, so no hook runs: a snapshot serializes either form to the same bytes.
   */
  replaceRepresentation(key: string, v: StoredValue): void {
    this.dict.set(key, v);
  }

  /** The JS string for a MutableString, kept in its place so later readers get it directly. */
  private materialize(key: string, v: MutableString): string {
    const s = v.toString();
    this.dict.set(key, s);
    return s;
  }

  /** EXISTS: not an access (LOOKUP_NOTOUCH), and a MutableString stays as it is. */
  exists(key: string): boolean {
    if (!this.dict.has(key)) return false;
    return !(this.expires.size !== 0 && this.expireIfNeeded(key));
  }

  // ─── writes ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Sets a key; unless keepTtl, any TTL is removed (Redis's setKey). A new key's clock starts now (LRU) or
   * at LFU_INIT_VAL; a replaced value keeps the key's LFU counter, as dbOverwrite does. Any string encoding
   * note is dropped: callers that store a string Redis would hold "raw" note it after this.
   */
  setKey(key: string, value: StoredValue, keepTtl = false): void {
    this.keyspace.writeHook?.(this, key);
    const dict = this.dict;
    const old = dict.get(key);
    dict.set(key, value);
    const acct = this.acct;
    const clock = this.clock;
    if (old === undefined) {
      acct.bytes += stringBytes(key.length) + valueBytes(value);
      this.lru.set(key, clock.initial());
    } else {
      acct.bytes += valueBytes(value) - valueBytes(old);
      if (old !== value && typeof old !== "string" && old.acct === acct) old.acct = DETACHED;
      if (!clock.lfu) this.lru.set(key, clock.lruClock);
    }
    if (typeof value !== "string") value.acct = acct;
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
  }

  /**
   * The RDB loader's fast path: adds a key known to be new (false, and nothing changed, for a duplicate),
   * with one Map operation for the value. `clock` is the access clock from the file, or undefined.
   */
  addLoaded(key: string, value: RedisValue, clock?: number): boolean {
    const dict = this.dict;
    const before = dict.size;
    dict.set(key, value);
    if (dict.size === before) return false;
    this.acct.bytes += stringBytes(key.length) + valueBytes(value);
    if (typeof value !== "string") value.acct = this.acct;
    if (clock !== undefined) this.lru.set(key, clock);
    else if (this.loadedClock === undefined) this.loadedClock = this.clock.initial();
    return true;
  }

  /** Deletes a key; true if it existed (logically expired keys count as absent). */
  delete(key: string): boolean {
    const v = this.dict.get(key);
    if (v === undefined) return false;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return false;
    this.keyspace.writeHook?.(this, key);
    this.unlink(key, v);
    return true;
  }

  setExpire(key: string, whenMs: number): void {
    this.keyspace.writeHook?.(this, key);
    this.expires.set(key, whenMs);
  }

  /** Removes a TTL; true if there was one. */
  removeExpire(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.keyspace.writeHook?.(this, key);
    return this.expires.delete(key);
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /** Empties the database. The old maps are replaced, not cleared, so a running snapshot keeps its view. */
  flush(): number {
    const n = this.dict.size;
    this.keyspace.flushHook?.(this);
    this.dict = new Map();
    this.expires = new Map();
    this.lru = new Map();
    this.loadedClock = undefined;
    this.stringEncodings = new Map();
    this.acct = new MemoryAccount();
    this.epoch++;
    return n;
  }

  /** Exchanges contents with another db (SWAPDB). */
  swapWith(other: Database): void {
    this.keyspace.flushHook?.(this);
    this.keyspace.flushHook?.(other);
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.lru, other.lru] = [other.lru, this.lru];
    [this.loadedClock, other.loadedClock] = [other.loadedClock, this.loadedClock];
    [this.stringEncodings, other.stringEncodings] = [other.stringEncodings, this.stringEncodings];
    [this.acct, other.acct] = [other.acct, this.acct];
    this.epoch++;
    other.epoch++;
  }
}
