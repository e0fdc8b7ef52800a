/**
 * Argument parsing with Redis's exact rules (util.c string2ll / string2ld, object.c getXFromObject).
 * Each returns null when the text is not acceptable, so callers pick the right error reply.
 */

/** string2ll refuses "-0" as well as leading zeros. */
const INT_RE = /^(0|-?[1-9]\d*)$/;

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
    if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
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
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return b;
}

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A double as Redis's string2d / strtod: decimal or exponent form, "inf"/"+inf"/"-inf" (any case), no
 * spaces; NaN is refused. Null when invalid.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5120) return null;
  const l = s.toLowerCase();
  if (l === "inf" || l === "+inf" || l === "infinity" || l === "+infinity") return Number.POSITIVE_INFINITY;
  if (l === "-inf" || l === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!FLOAT_RE.test(s)) {
    // strtod also reads hex floats ("0x1p3"); Redis accepts them through strtod.
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return Number.parseInt(s, 16);
    return null;
  }
  return Number(s);
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
