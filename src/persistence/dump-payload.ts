import type { RedisValue } from "../store/redis-value.js";
import { Crc64 } from "./crc64.js";
import { RdbEncoder } from "./rdb-encoder.js";
import { RDB_VERSION } from "./rdb-format.js";

/**
 * The payload of DUMP and RESTORE (Redis's createDumpPayload / verifyDumpPayload):
 *
 *   value type (1 byte) | value in RDB encoding | RDB version (2 bytes LE) | CRC64 of all that (8 bytes LE)
 *
 * The value is encoded as an RDB file would hold it (rdb-encoder.ts), so a payload from redis-server
 * restores here and ours restores there. Tandem writes RDB version 10, as Redis 7.0.
 */

/** The DUMP payload of a value; `compress` is rdbcompression (LZF for strings over 20 bytes). */
export function dumpPayload(value: RedisValue, compress: boolean): Buffer {
  const enc = new RdbEncoder(compress);
  enc.value(value);
  enc.byte(RDB_VERSION & 0xff);
  enc.byte((RDB_VERSION >> 8) & 0xff);
  const body = Buffer.concat(enc.take());
  const crc = new Crc64().update(body).digestLE();
  return Buffer.concat([body, crc]);
}

/**
 * verifyDumpPayload: at least the 10-byte footer, an RDB version this server can read (≤ 10, as Redis
 * 7.0), and a matching CRC64 (unless `skipChecksum`). Returns the bytes before the footer, or null.
 */
export function verifyDumpPayload(payload: Buffer, skipChecksum = false): Buffer | null {
  const len = payload.length;
  if (len < 10) return null;
  const version = payload[len - 10] | (payload[len - 9] << 8);
  if (version > RDB_VERSION) return null;
  if (!skipChecksum) {
    const crc = new Crc64().update(payload, 0, len - 8).digestLE();
    if (!crc.equals(payload.subarray(len - 8))) return null;
  }
  return payload.subarray(0, len - 10);
}
