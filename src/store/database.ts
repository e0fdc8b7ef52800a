import type { Keyspace } from "./keyspace.js";
import { MutableString } from "./mutable-string.js";
import type { RedisValue, StoredValue } from "./redis-value.js";

/**
 * One numbered database: the main dictionary and the expires dictionary (absolute unix ms), as Redis's
 * redisDb. Every mutation goes through these methods, so the keyspace's write hook (used by point-in-time
 * snapshots) sees a key before it changes — including deletion, expiry and creation.
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
  /** Number of times the whole db was replaced (FLUSHDB, SWAPDB): lets iterators notice. */
  epoch = 0;

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {}

  get size(): number {
    return this.dict.size;
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
    this.dict.delete(key);
    this.expires.delete(key);
    ks.onExpired(this, key);
    return true;
  }

  // ─── lookups ───────────────────────────────────────────────────────────────────────────────────────────

  lookupKeyRead(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v instanceof MutableString ? this.materialize(key, v) : v;
  }

  /** For commands that will modify the value in place: the snapshot hook runs first. */
  lookupKeyWrite(key: string): RedisValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) {
      return undefined;
    }
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.keyspace.writeHook?.(this, key);
    return v instanceof MutableString ? this.materialize(key, v) : v;
  }

  /** lookupKeyRead that leaves a MutableString as it is (byte-level string commands). */
  lookupRawRead(key: string): StoredValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v;
  }

  /** lookupKeyWrite that leaves a MutableString as it is: the caller may edit it in place. */
  lookupRawWrite(key: string): StoredValue | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    this.keyspace.writeHook?.(this, key);
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

  exists(key: string): boolean {
    return this.lookupRawRead(key) !== undefined;
  }

  // ─── writes ────────────────────────────────────────────────────────────────────────────────────────────

  /** Sets a key; unless keepTtl, any TTL is removed (Redis's setKey). */
  setKey(key: string, value: StoredValue, keepTtl = false): void {
    this.keyspace.writeHook?.(this, key);
    this.dict.set(key, value);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
  }

  /** Deletes a key; true if it existed (logically expired keys count as absent). */
  delete(key: string): boolean {
    if (!this.dict.has(key)) return false;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return false;
    this.keyspace.writeHook?.(this, key);
    this.dict.delete(key);
    if (this.expires.size !== 0) this.expires.delete(key);
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
    this.epoch++;
    return n;
  }

  /** Exchanges contents with another db (SWAPDB). */
  swapWith(other: Database): void {
    this.keyspace.flushHook?.(this);
    this.keyspace.flushHook?.(other);
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.expires, other.expires] = [other.expires, this.expires];
    this.epoch++;
    other.epoch++;
  }
}
