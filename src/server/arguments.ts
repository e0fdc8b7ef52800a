import { INT_MAX, INT_MIN, INT64_MAX, INT64_MIN, parseInt64, parseInteger } from "../resp/parse-integer.js";
import { type LongDouble, parseLongDouble } from "../store/long-double.js";
import type { Client } from "./client.js";
import {
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_NOT_POSITIVE,
  ERR_TIMEOUT_INVALID,
  ERR_TIMEOUT_NEGATIVE,
  ERR_TIMEOUT_NOT_FLOAT,
  errValueOutOfRange,
} from "./shared-replies.js";
import { cErrno, isCSpace, strtod, strtodResult } from "./strtod.js";

/**
 * Arguments as Redis reads them. Two levels, as in Redis:
 * - util.c's parsers (`parseInteger`/`parseInt64` for string2ll, `parseDoubleArg` for string2d): the text
 *   alone, null when it is not acceptable;
 * - object.c's getXFromObjectOrReply family (`getLongLongOrReply`, `getRangeLongOrReply`, …): the parse, the
 *   range check and Redis's exact error reply in one call, returning null once the error is written. They
 *   return plain numbers, never result objects, so reading the arguments of hot commands (INCRBY, SETEX,
 *   LRANGE…) allocates nothing; a BigInt appears only where an exact int64 is asked for and the value is past
 *   ±2^53.
 *
 * Redis's `long` is its `long long` on the 64-bit builds we mirror, so one getter serves both.
 */

// ─── util.c: the text alone ─────────────────────────────────────────────────────────────────────────────

export { INT_MAX, INT_MIN, INT64_MAX, INT64_MIN, parseInt64, parseInteger } from "../resp/parse-integer.js";
/** C's LONG_MAX / LONG_MIN on LP64, for range bounds (a range check against them is exact). */
export const LONG_MAX = INT64_MAX;
export const LONG_MIN = INT64_MIN;

/**
 * string2d (getDoubleFromObject): the whole text must be a number C's strtod reads, no leading space, no
 * overflow or underflow to zero (ERANGE), not NaN. Null otherwise.
 */
export function parseDoubleArg(s: string): number | null {
  // string2d sets errno = 0 and runs strtod before any check, which leaves errno as SORT later sees it.
  cErrno.erange = false;
  const v = strtod(s, 0);
  if (s.length === 0 || isCSpace(s.charCodeAt(0))) return null;
  if (strtodResult.end !== s.length || Number.isNaN(v)) return null;
  if (strtodResult.erange && (v === 0 || !Number.isFinite(v))) return null;
  return v;
}

/**
 * Case-insensitive equality with an ASCII lowercase word (option names), without making a lowered copy.
 * Arguments are latin1, where only A–Z lower to ASCII letters, so folding A–Z alone matches toLowerCase.
 */
export function eqi(arg: string, lowerWord: string): boolean {
  const n = lowerWord.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    let ch = arg.charCodeAt(i);
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lowerWord.charCodeAt(i)) return false;
  }
  return true;
}

// ─── object.c: parse, check, reply ──────────────────────────────────────────────────────────────────────

/** Past ±2^53 an index, count or limit only means "beyond anything stored": it saturates to this. */
const SATURATED = Number.MAX_SAFE_INTEGER;

/**
 * getLongLongFromObjectOrReply (and getLongFromObjectOrReply): any int64, or `msg` (default "value is not
 * an integer or out of range") replied and null. A value past ±2^53 comes back as ±MAX_SAFE_INTEGER: for
 * the indexes, counts and limits this reads that is still "past the end". Exact int64s: getExactLongLongOrReply.
 */
export function getLongLongOrReply(c: Client, s: string, msg: string = ERR_NOT_INTEGER): number | null {
  const n = parseInteger(s);
  if (n !== null && n <= SATURATED && n >= -SATURATED) return n;
  if (parseInt64(s) === null) {
    c.reply.error(msg);
    return null;
  }
  return s.charCodeAt(0) === 45 /* - */ ? -SATURATED : SATURATED;
}

/**
 * getLongLongFromObjectOrReply where the exact value matters (INCRBY, EXPIRE, SET EX, RESTORE TTL): a
 * number within ±2^53, a BigInt beyond (so ordinary arguments allocate nothing).
 */
export function getExactLongLongOrReply(
  c: Client,
  s: string,
  msg: string = ERR_NOT_INTEGER,
): number | bigint | null {
  const n = parseInteger(s);
  if (n !== null && Number.isSafeInteger(n)) return n;
  const b = parseInt64(s);
  if (b === null) c.reply.error(msg);
  return b;
}

/**
 * getRangeLongFromObjectOrReply: an integer within [min, max]. `msg`, when given, is the error for both a
 * non-integer and an out-of-range value (as in Redis); without it they are "value is not an integer or out
 * of range" and "value is out of range, value must between MIN and MAX". Bounds past ±2^53 are given as
 * BigInts (LONG_MAX, -LONG_MAX…) so the check stays exact; the value returned saturates as getLongLongOrReply's.
 */
export function getRangeLongOrReply(
  c: Client,
  s: string,
  min: number | bigint,
  max: number | bigint,
  msg?: string,
): number | null {
  const n = parseInteger(s);
  if (n !== null && n <= SATURATED && n >= -SATURATED) {
    if (n >= min && n <= max) return n;
  } else {
    const b = parseInt64(s);
    if (b === null) {
      c.reply.error(msg ?? ERR_NOT_INTEGER);
      return null;
    }
    if (b >= min && b <= max) return b < 0n ? -SATURATED : SATURATED;
  }
  c.reply.error(msg ?? errValueOutOfRange(min, max));
  return null;
}

/** getPositiveLongFromObjectOrReply: an integer ≥ 0; `msg` (default "value is out of range, must be positive"). */
export function getPositiveLongOrReply(c: Client, s: string, msg: string = ERR_NOT_POSITIVE): number | null {
  return getRangeLongOrReply(c, s, 0, LONG_MAX, msg);
}

/** getIntFromObjectOrReply: a C int (32 bits), with getRangeLongFromObjectOrReply's errors. */
export function getIntOrReply(c: Client, s: string, msg?: string): number | null {
  return getRangeLongOrReply(c, s, INT_MIN, INT_MAX, msg);
}

/** getDoubleFromObjectOrReply: string2d's double, or `msg` (default "value is not a valid float"). */
export function getDoubleOrReply(c: Client, s: string, msg: string = ERR_NOT_FLOAT): number | null {
  const v = parseDoubleArg(s);
  if (v === null) c.reply.error(msg);
  return v;
}

/** The unit of a timeout argument, as Redis's UNIT_SECONDS / UNIT_MILLISECONDS. */
export const UNIT_SECONDS = 0;
export const UNIT_MILLISECONDS = 1;
export type TimeoutUnit = typeof UNIT_SECONDS | typeof UNIT_MILLISECONDS;

/**
 * getTimeoutFromObjectOrReply: the absolute deadline in ms (0 = no timeout), or null after Redis's error.
 * Seconds are a long double (string2ld), times 1000, rounded up, then cast to long long: past 2^63 ms (and
 * "inf") that cast wraps negative, so Redis answers "timeout is negative", and so do we. Milliseconds are a
 * long long. A deadline of 0 is only ever a timeout of 0: anything above rounds up to at least 1 ms.
 */
export function getTimeoutOrReply(c: Client, s: string, unit: TimeoutUnit): number | null {
  let ms: number;
  if (unit === UNIT_SECONDS) {
    const secs = parseLongDouble(s);
    if (secs === null) {
      c.reply.error(ERR_TIMEOUT_NOT_FLOAT);
      return null;
    }
    ms = Math.ceil(longDoubleToNumber(secs) * 1000);
    // A positive long double too small for a double still rounds up to 1 ms in Redis.
    if (ms === 0 && !secs.neg && secs.mant !== 0n) ms = 1;
    if (!(ms < 2 ** 63)) ms = -1;
  } else {
    const n = getLongLongOrReply(c, s, ERR_TIMEOUT_INVALID);
    if (n === null) return null;
    ms = n;
  }
  if (ms < 0) {
    c.reply.error(ERR_TIMEOUT_NEGATIVE);
    return null;
  }
  return ms === 0 ? 0 : Date.now() + ms;
}

/** The double nearest a long double (an infinity past the double range, 0 below it). */
function longDoubleToNumber(v: LongDouble): number {
  if (v.inf) return v.neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  // Two steps, so a tiny exponent does not flush 2^exp to zero before the significand is applied.
  const half = Math.trunc(v.exp / 2);
  const x = Number(v.mant) * 2 ** half * 2 ** (v.exp - half);
  return v.neg ? -x : x;
}
