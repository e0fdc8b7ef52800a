import { isCanonicalInt64, maxIntsetEntries } from "./encoding-config.js";
import {
  DETACHED,
  type MemoryAccount,
  OBJECT_BASE,
  SET_SLOT,
  stringBytes,
  TABLE_BASE,
  tableCapacity,
} from "./memory-model.js";

/** Redis 7.0's encodings of a set (listpack sets came with 7.2). */
export const SET_INTSET = 0;
export const SET_HASHTABLE = 1;

const BASE_BYTES = TABLE_BASE + OBJECT_BASE + 40;

/** Bytes per element of an intset holding `v` (intsetValueEncoding). */
function intsetWidthOf(m: string): number {
  const n = m.length;
  if (n <= 4) return 2; // at most "9999" or "-999"
  if (n >= 12) return 8;
  const v = Number(m);
  return v >= -32768 && v <= 32767 ? 2 : v >= -2147483648 && v <= 2147483647 ? 4 : 8;
}

/**
 * A set value: a JS Set of latin1 members.
 *
 * Like RedisHash it tracks the encoding Redis 7.0 would have for the same history — intset while every
 * member is a canonical int64 and there are at most set-max-intset-entries of them, hashtable for good once
 * either fails (setTypeAdd) — plus, while an intset, its element width, which like Redis's only ever grows
 * (DUMP writes it). And its size estimate, reported to the holding database's account.
 *
 * Never pass an iterable to the constructor (see RedisHash).
 */
export class RedisSet extends Set<string> {
  enc = SET_INTSET;
  /** Bytes per element of the intset (2, 4 or 8); meaningful while enc is SET_INTSET. */
  intsetWidth = 2;
  bytes = BASE_BYTES;
  acct: MemoryAccount = DETACHED;
  private cap = 0;

  override add(member: string): this {
    const before = this.size;
    super.add(member);
    if (this.size === before) return this;
    if (this.enc === SET_INTSET) {
      if (!isCanonicalInt64(member) || this.size > maxIntsetEntries()) {
        this.enc = SET_HASHTABLE;
      } else {
        const w = intsetWidthOf(member);
        if (w > this.intsetWidth) this.intsetWidth = w;
      }
    }
    const d = stringBytes(member.length) + this.resized();
    this.bytes += d;
    this.acct.bytes += d;
    return this;
  }

  override delete(member: string): boolean {
    if (!super.delete(member)) return false;
    const d = this.resized() - stringBytes(member.length);
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

  private resized(): number {
    const cap = this.size === 0 ? 0 : tableCapacity(this.size);
    if (cap === this.cap) return 0;
    const d = (cap - this.cap) * SET_SLOT;
    this.cap = cap;
    return d;
  }

  /**
   * Chooses the encoding from the content alone, as a set built afresh would have it (SPOP with a count
   * that keeps few members rebuilds the set this way; so does loading).
   */
  resetEncoding(): void {
    this.enc = SET_INTSET;
    this.intsetWidth = 2;
    if (this.size > maxIntsetEntries()) {
      this.enc = SET_HASHTABLE;
      return;
    }
    for (const m of this) {
      if (!isCanonicalInt64(m)) {
        this.enc = SET_HASHTABLE;
        return;
      }
      const w = intsetWidthOf(m);
      if (w > this.intsetWidth) this.intsetWidth = w;
    }
  }

  /** A set of these members, its encoding decided as a series of SADDs would. */
  static from(members: Iterable<string>): RedisSet {
    const s = new RedisSet();
    for (const m of members) s.add(m);
    return s;
  }

  /** A copy with the same encoding (Redis's setTypeDup, for COPY). */
  clone(): RedisSet {
    const s = new RedisSet();
    for (const m of this) s.add(m);
    s.enc = this.enc;
    s.intsetWidth = this.intsetWidth;
    return s;
  }
}
