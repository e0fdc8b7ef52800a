/**
 * Redis's string2ll rules for strings that are integers (util.c): a canonical decimal int64 — no "+", no
 * leading zeros, no "-0". What decides the "int" encoding, intsets, and listpack/RDB integer entries.
 */

/**
 * Redis's string2ll acceptance for integer encodings: a canonical decimal int64 (no "+", no leading zeros,
 * no "-0"). Returns the value or null. Only used for strings of length ≤ 20.
 */
export function canonicalInt(s: string): bigint | null {
  return isCanonicalInt64(s) ? BigInt(s) : null;
}

/** Fast path of canonicalInt for small numbers: returns a safe JS integer or null. */
export function canonicalSmallInt(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 11) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return null;
    i = 1;
  }
  if (s.charCodeAt(i) === 48) return n === 1 ? 0 : null;
  let v = 0;
  for (let j = i; j < n; j++) {
    const ch = s.charCodeAt(j) - 48;
    if (ch < 0 || ch > 9) return null;
    v = v * 10 + ch;
  }
  return i === 1 ? -v : v;
}

/**
 * Redis's string2ll acceptance: a canonical decimal int64 (no "+", no leading zeros, no "-0", at most 20
 * characters). The tests Redis applies to decide int encodings (strings, intsets, listpack entries).
 */
export function isCanonicalInt64(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1;
  for (let j = i; j < n; j++) {
    const ch = s.charCodeAt(j);
    if (ch < 48 || ch > 57) return false;
  }
  if (n - i < 19) return true;
  const v = BigInt(s);
  return v <= 9223372036854775807n && v >= -9223372036854775808n;
}
