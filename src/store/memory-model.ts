/**
 * How many bytes our representation of the dataset takes: the estimate behind INFO's used_memory, MEMORY
 * USAGE and maxmemory. Redis counts what its allocator handed out; the V8 heap cannot be asked that per
 * object, and its own "used" figure includes garbage not yet collected (it swings by megabytes under a write
 * load and would make eviction chase the collector). So every value keeps a running estimate built from V8's
 * object layouts on 64-bit Node without pointer compression (8-byte slots):
 *
 * - a string: 16 bytes of header (map, hash, length) plus its latin1 bytes rounded up to 8;
 * - a heap number (a TTL, a sorted-set score): 16 bytes;
 * - a JS Map: its hash table holds, per slot of capacity, 3 words (key, value, chain) and half a bucket word
 *   (28 bytes); a Set 2 words and half a bucket (20 bytes). Capacity is modelled as the next power of two of
 *   the size, at least 4, as V8 grows tables by doubling;
 * - a JS array: 8 bytes per slot of capacity plus its headers.
 *
 * Values own their estimate (RedisHash/RedisSet/RedisList/RedisZSet keep `bytes` current on every change) and
 * report each change to the MemoryAccount of the database that holds them, so the dataset total is always
 * current at O(1) per change and no walk is ever needed. The databases' own tables (main, expires and
 * access-clock maps) are computed from their sizes when the total is read.
 */

/** V8 string header: map, hash field, length. */
export const STRING_HEADER = 16;
/** A boxed double (TTLs, scores). */
export const HEAP_NUMBER = 16;
/** One slot of a JS Map's table (key, value, chain + half a bucket). */
export const MAP_SLOT = 28;
/** One slot of a JS Set's table (key, chain + half a bucket). */
export const SET_SLOT = 20;
/** A JS Map or Set object plus its table's fixed header. */
export const TABLE_BASE = 32 + 40;
/** A JS array object plus its backing store header. */
export const ARRAY_BASE = 32 + 16;
/** An object with a few in-object fields (our value classes, skiplist nodes). */
export const OBJECT_BASE = 24;

/** Bytes of a latin1 string of `len` characters. */
export function stringBytes(len: number): number {
  return STRING_HEADER + Math.ceil(len / 8) * 8;
}

/** The table capacity V8 would have for `n` entries (doubling from 4). */
export function tableCapacity(n: number): number {
  if (n <= 4) return 4;
  return n > 0x40000000 ? 2 ** Math.ceil(Math.log2(n)) : 2 ** (32 - Math.clz32(n - 1));
}

/** Bytes of a Map's table for `n` entries. */
export function mapTableBytes(n: number): number {
  return n === 0 ? 0 : TABLE_BASE + tableCapacity(n) * MAP_SLOT;
}

/** Bytes of a Set's table for `n` entries. */
export function setTableBytes(n: number): number {
  return n === 0 ? 0 : TABLE_BASE + tableCapacity(n) * SET_SLOT;
}

/**
 * Where a value reports changes of its size: the account of the database holding it, or DETACHED while it
 * is held by none (being built, or deleted). A database's account is replaced when the database is emptied,
 * so values of a flushed dict can never change the new total.
 */
export class MemoryAccount {
  bytes = 0;
}

/** The account of values not stored under any key; its total means nothing and is never read. */
export const DETACHED = new MemoryAccount();

/** A value that keeps its own size estimate (every type but strings). */
export interface AccountedValue {
  bytes: number;
  acct: MemoryAccount;
}
