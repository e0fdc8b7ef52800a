/**
 * Integers in Redis's text form, as util.c's string2ll reads them: the server's arguments
 * (src/server/arguments.ts builds object.c's get…OrReply family on these), the command table's key specs
 * (numkeys) and the proxy's own commands all parse with these, so they agree on "01", "-0", "+1" and " 1".
 */

/** string2ll refuses "-0" as well as leading zeros. */
const INT_RE = /^(0|-?[1-9]\d*)$/;

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
/** C's INT_MAX / INT_MIN (getIntFromObjectOrReply's range). */
export const INT_MAX = 2147483647;
export const INT_MIN = -2147483648;

/**
 * string2ll for a text of 1 to 15 characters, read digit by digit (no regular expression, no copy): at
 * most 15 digits, so the value is an exact double. Null when refused.
 */
function shortInteger(s: string): number | null {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return null;
    neg = true;
    i = 1;
  }
  // "0" alone; "-0" and leading zeros are refused, as by string2ll.
  if (s.charCodeAt(i) === 48) return n === 1 ? 0 : null;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** A 64-bit signed integer as Redis's string2ll (no spaces, no '+', no leading zeros); null otherwise. */
export function parseInteger(s: string): number | null {
  if (s.length <= 15) return s.length === 0 ? null : shortInteger(s);
  if (s.length > 20 || !INT_RE.test(s)) return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    // Outside ±2^53 precision is lost; within int64 Redis accepts it. Values this large are rare in
    // practice; we accept them only if exactly representable to keep arithmetic honest.
    const b = BigInt(s);
    if (b > INT64_MAX || b < INT64_MIN) return null;
    return Number(b) === n && BigInt(n) === b ? n : null;
  }
  return n;
}

/** As parseInteger but as BigInt, for INCRBY/DECRBY overflow checks over the full int64 range. */
export function parseInt64(s: string): bigint | null {
  if (s.length <= 15) {
    const v = s.length === 0 ? null : shortInteger(s);
    return v === null ? null : BigInt(v);
  }
  if (s.length > 20 || !INT_RE.test(s)) return null;
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  return b;
}
