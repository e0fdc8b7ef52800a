import { encodingConfig } from "./encoding-config.js";
import {
  DETACHED,
  MAP_SLOT,
  type MemoryAccount,
  OBJECT_BASE,
  stringBytes,
  TABLE_BASE,
  tableCapacity,
} from "./memory-model.js";

/** Redis's encodings of a hash. */
export const HASH_LISTPACK = 0;
export const HASH_HASHTABLE = 1;

/** The object, its fields (encoding, size, account, capacity) and the table's fixed header. */
const BASE_BYTES = TABLE_BASE + OBJECT_BASE + 32;

/**
 * A hash value: a JS Map of latin1 field → latin1 value (insertion order, as Redis's listpack keeps it).
 *
 * It also keeps what Redis would know about the same value: its encoding — listpack until a write makes it
 * exceed hash-max-listpack-entries or puts a field or value longer than hash-max-listpack-value in it, then
 * hashtable for good (hashTypeSet's rules), as OBJECT ENCODING reports and DUMP/RDB saves it — and its size
 * estimate (memory-model.ts), reported to the holding database's account on every change.
 *
 * Never pass an iterable to the constructor: the Map constructor would call `set` before the fields exist.
 */
export class RedisHash extends Map<string, string> {
  enc = HASH_LISTPACK;
  bytes = BASE_BYTES;
  acct: MemoryAccount = DETACHED;
  private cap = 0;

  override set(field: string, value: string): this {
    const old = super.get(field);
    super.set(field, value);
    let d: number;
    if (old === undefined) {
      d = stringBytes(field.length) + stringBytes(value.length) + this.resized();
    } else {
      d = stringBytes(value.length) - stringBytes(old.length);
    }
    if (this.enc === HASH_LISTPACK) {
      const max = encodingConfig.hashMaxListpackValue;
      if (field.length > max || value.length > max || this.size > encodingConfig.hashMaxListpackEntries)
        this.enc = HASH_HASHTABLE;
    }
    this.bytes += d;
    this.acct.bytes += d;
    return this;
  }

  override delete(field: string): boolean {
    const old = super.get(field);
    if (old === undefined) return false;
    super.delete(field);
    const d = this.resized() - stringBytes(field.length) - stringBytes(old.length);
    this.bytes += d;
    this.acct.bytes += d;
    return true;
  }

  override clear(): void {
    super.clear();
    const d = BASE_BYTES - this.bytes;
    this.cap = 0;
    this.bytes = BASE_BYTES;
    this.acct.bytes += d;
  }

  /** The change in table bytes after the size changed. */
  private resized(): number {
    const cap = this.size === 0 ? 0 : tableCapacity(this.size);
    if (cap === this.cap) return 0;
    const d = (cap - this.cap) * MAP_SLOT;
    this.cap = cap;
    return d;
  }

  /** A hash of these pairs, its encoding decided as a series of HSETs would. */
  static from(entries: Iterable<readonly [string, string]>): RedisHash {
    const h = new RedisHash();
    for (const [f, v] of entries) h.set(f, v);
    return h;
  }

  /** A copy with the same encoding (Redis's hashTypeDup, for COPY). */
  clone(): RedisHash {
    const h = new RedisHash();
    for (const [f, v] of this) h.set(f, v);
    h.enc = this.enc;
    return h;
  }
}
