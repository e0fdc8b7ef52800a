import { RedisList } from "./redis-list.js";
import { RedisStream } from "./redis-stream.js";
import type { RedisValue } from "./redis-value.js";
import { RedisZSet } from "./redis-zset.js";

/**
 * A deep copy of a stored value, for COPY: the copy shares no container with the original, so later
 * in-place changes to one (LPUSH, HSET, ZADD, ...) never show through the other. Strings are immutable
 * JS values and are shared as they are.
 */
export function cloneValue(v: RedisValue): RedisValue {
  if (typeof v === "string") return v;
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (v instanceof RedisList) return RedisList.from(v.toArray());
  if (v instanceof RedisStream) return v.clone();
  const z = new RedisZSet();
  for (const [member, score] of v.entries()) z.add(member, score);
  return z;
}
