import type { Database } from "./database.js";
import { isCanonicalInt64 } from "./encoding-config.js";
import { HASH_LISTPACK, RedisHash } from "./redis-hash.js";
import { SET_INTSET } from "./redis-set.js";
import { MutableString, RedisList, RedisStream, RedisZSet, type StoredValue } from "./redis-value.js";
import { ZSET_LISTPACK } from "./redis-zset.js";

/**
 * OBJECT ENCODING: the name of the encoding Redis 7.0 would hold the same value in after the same
 * commands. Containers track theirs (redis-hash.ts, redis-set.ts, redis-zset.ts; every list is a
 * quicklist in 7.0). A string's encoding follows from its content — "int" for a canonical int64
 * (tryObjectEncoding's string2l), else "embstr" up to 44 bytes, else "raw" — except where the command that
 * stored it builds the object differently in Redis; those keys carry a note in Database.stringEncodings.
 */

/** OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
export const EMBSTR_SIZE_LIMIT = 44;

/** A string Redis holds raw whatever its content: modified in place (APPEND, SETRANGE, SETBIT) or built raw (BITOP). */
export const STRING_RAW = 1;
/** A string Redis built with createStringObject (INCRBYFLOAT): embstr or raw by length, never int. */
export const STRING_NOT_INT = 2;

/** The encoding of string `s` given its note (undefined when none). */
export function stringEncoding(s: string, note: number | undefined): "int" | "embstr" | "raw" {
  if (note === STRING_RAW) return "raw";
  if (note !== STRING_NOT_INT && isCanonicalInt64(s)) return "int";
  return s.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

/** The encoding name of the value stored at `key` in `db`. */
export function objectEncoding(db: Database, key: string, v: StoredValue): string {
  if (v instanceof MutableString) return "raw"; // edited in place: Redis's sds is raw
  if (v instanceof RedisStream) return "stream";
  if (typeof v === "string") {
    return stringEncoding(v, db.stringEncodings.size === 0 ? undefined : db.stringEncodings.get(key));
  }
  if (v instanceof RedisList) return "quicklist";
  if (v instanceof RedisZSet) return v.enc === ZSET_LISTPACK ? "listpack" : "skiplist";
  if (v instanceof RedisHash) return v.enc === HASH_LISTPACK ? "listpack" : "hashtable";
  return v.enc === SET_INTSET ? "intset" : "hashtable";
}
