import type { RedisValue } from "./redis-value.js";

/**
 * A deep copy of a stored value, for COPY: the copy shares no container with the original, so later
 * in-place changes to one (LPUSH, HSET, ZADD, ...) never show through the other. Strings are immutable
 * JS values and are shared as they are. Containers keep their encoding, as Redis's *TypeDup functions do.
 */
export function cloneValue(v: RedisValue): RedisValue {
  if (typeof v === "string") return v;
  return v.clone();
}
