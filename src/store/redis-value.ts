import { RedisHash } from "./redis-hash.js";
import { RedisList } from "./redis-list.js";
import { RedisSet } from "./redis-set.js";
import { RedisZSet } from "./redis-zset.js";

/**
 * A stored value. Strings are latin1 JS strings (binary-safe, and far smaller than a Buffer each); the
 * containers hold latin1 strings too. Keys are latin1 strings. Nothing here references a socket chunk.
 *
 * The containers are our own classes (RedisHash and RedisSet extend Map and Set) so that each keeps the
 * encoding Redis would have for it and its own size estimate, whichever command changes it.
 */
export type RedisValue = string | RedisList | RedisHash | RedisSet | RedisZSet;

export type RedisTypeName = "string" | "list" | "hash" | "set" | "zset";

export function typeName(v: RedisValue): RedisTypeName {
  if (typeof v === "string") return "string";
  if (v instanceof Map) return "hash";
  if (v instanceof Set) return "set";
  if (v instanceof RedisList) return "list";
  return "zset";
}

export { RedisHash, RedisList, RedisSet, RedisZSet };
