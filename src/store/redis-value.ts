import { MutableString } from "./mutable-string.js";
import { RedisHash } from "./redis-hash.js";
import { RedisList } from "./redis-list.js";
import { RedisSet } from "./redis-set.js";
import { RedisStream } from "./redis-stream.js";
import { RedisZSet } from "./redis-zset.js";

/**
 * A stored value. Strings are latin1 JS strings (binary-safe, and far smaller than a Buffer each); the
 * containers hold latin1 strings too. Keys are latin1 strings. Nothing here references a socket chunk.
 *
 * The containers are our own classes (RedisHash and RedisSet extend Map and Set) so that each keeps the
 * encoding Redis would have for it and its own size estimate, whichever command changes it.
 */
export type RedisValue = string | RedisList | RedisHash | RedisSet | RedisZSet | RedisStream;

/**
 * What the keyspace's dict holds: a value, or a string in its in-place editable form (see
 * mutable-string.ts). Only Database, persistence and the byte-level string commands handle the latter;
 * Database's ordinary lookups hand out a RedisValue.
 */
export type StoredValue = RedisValue | MutableString;

export type RedisTypeName = "string" | "list" | "hash" | "set" | "zset" | "stream";

export function typeName(v: StoredValue): RedisTypeName {
  if (typeof v === "string" || v instanceof MutableString) return "string";
  if (v instanceof Map) return "hash";
  if (v instanceof Set) return "set";
  if (v instanceof RedisList) return "list";
  if (v instanceof RedisStream) return "stream";
  return "zset";
}

export { MutableString, RedisHash, RedisList, RedisSet, RedisStream, RedisZSet };
