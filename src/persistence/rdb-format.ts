/**
 * Constants of Redis's RDB format (rdb.h), with Redis's names. Version 10 is what Redis 7.0 writes.
 */

export const RDB_VERSION = 10;
/** Oldest version we read (Redis 2.6+ files carry ziplist/zipmap encodings; all are handled). */
export const RDB_MIN_VERSION = 1;

// ─── value types ─────────────────────────────────────────────────────────────────────────────────────────

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_SET_LISTPACK = 20;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

// ─── opcodes ─────────────────────────────────────────────────────────────────────────────────────────────

export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

// ─── length and string encodings ─────────────────────────────────────────────────────────────────────────

export const RDB_6BITLEN = 0;
export const RDB_14BITLEN = 1;
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;
export const RDB_ENCVAL = 3;
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

// quicklist 2 node containers
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

// ─── Redis 7.0's default encoding thresholds (what it would keep as listpack/intset) ─────────────────────

export const HASH_MAX_LISTPACK_ENTRIES = 128;
export const HASH_MAX_LISTPACK_VALUE = 64;
export const ZSET_MAX_LISTPACK_ENTRIES = 128;
export const ZSET_MAX_LISTPACK_VALUE = 64;
export const SET_MAX_INTSET_ENTRIES = 512;
/** list-max-listpack-size -2: nodes of at most 8 KiB. */
export const LIST_MAX_LISTPACK_BYTES = 8192;

/** What went wrong reading an RDB payload; callers branch on it, never on the message. */
export type RdbErrorCode =
  /** Not an RDB file ("REDIS" missing) or a version this loader cannot read. */
  | "TANDEM_RDB_BAD_HEADER"
  /** The CRC64 trailer does not match the content. */
  | "TANDEM_RDB_CHECKSUM"
  /** The file ends before its EOF opcode (or a value's declared length). */
  | "TANDEM_RDB_TRUNCATED"
  /** Valid RDB that Tandem does not load (modules, pre-release formats). */
  | "TANDEM_RDB_UNSUPPORTED"
  /** The same key twice in one database. */
  | "TANDEM_RDB_DUPLICATE_KEY"
  /** Anything else malformed: a bad length, encoding, listpack/ziplist/intset, score. */
  | "TANDEM_RDB_CORRUPT";

/** Thrown for any malformed, truncated or unsupported RDB content. */
export class RdbError extends Error {
  override name = "RdbError";
  constructor(
    message: string,
    readonly code: RdbErrorCode = "TANDEM_RDB_CORRUPT",
  ) {
    super(message);
  }
}

export { canonicalInt, canonicalSmallInt } from "../store/canonical-int.js";
