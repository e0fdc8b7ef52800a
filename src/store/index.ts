export { globMatch } from "../commands/glob-match.js";
export { CursorRegistry } from "./cursor-registry.js";
export { Database } from "./database.js";
export { Keyspace } from "./keyspace.js";
export { MUTABLE_STRING_MIN, MutableString } from "./mutable-string.js";
export { RedisHash } from "./redis-hash.js";
export { RedisList } from "./redis-list.js";
export { RedisSet } from "./redis-set.js";
export {
  type RedisTypeName,
  type RedisValue,
  type StoredValue,
  typeName,
} from "./redis-value.js";
export { RedisZSet } from "./redis-zset.js";
