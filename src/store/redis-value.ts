import { RedisList } from "./redis-list.js";
import { RedisStream } from "./redis-stream.js";
import { RedisZSet } from "./redis-zset.js";

/**
 * A stored value. Strings are latin1 JS strings (binary-safe, and far smaller than a Buffer each); the
 * containers hold latin1 strings too. Keys are latin1 strings. Nothing here references a socket chunk.
 */
export type RedisHash = Map<string, string>;
export type RedisSet = Set<string>;
export type RedisValue = string | RedisList | RedisHash | RedisSet | RedisZSet | RedisStream;

export type RedisTypeName = "string" | "list" | "hash" | "set" | "zset" | "stream";

export function typeName(v: RedisValue): RedisTypeName {
  if (typeof v === "string") return "string";
  if (v instanceof Map) return "hash";
  if (v instanceof Set) return "set";
  if (v instanceof RedisList) return "list";
  if (v instanceof RedisStream) return "stream";
  return "zset";
}

export { RedisList, RedisStream, RedisZSet };
