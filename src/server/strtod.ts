/**
 * C's strtod(3) as glibc implements it, for the places where Redis parses numbers with it (sorted-set
 * scores and ranges, weights, SORT's BY values). JavaScript's Number() differs: it trims both ends, takes "" as 0
 * and rejects hex floats and "nan", so replies would not match Redis's without this.
 */

/** Where the last `strtod` call stopped, and whether C would set errno to ERANGE. */
export const strtodResult = { end: 0, erange: false };

/**
 * C's errno as Redis's number parsing leaves it, for SORT. glibc's strtod sets ERANGE and never clears
 * it, and SORT tests `errno == ERANGE` after each strtod without resetting errno first, so one range
 * error (from SORT itself, or a ZADD/ZRANGEBYSCORE argument like "1e-310") makes every later SORT
 * that converts a number fail, until something sets errno again: parsers that start with `errno = 0`
 * (string2d for scores, SCAN's cursor) or an accepted connection (the accept loop ends on EAGAIN).
 * It is one per process, as errno is for Redis's main thread.
 */
export const cErrno = { erange: false };

const HEX_DIGIT = /[0-9a-fA-F]/;

export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * C's strtod over `s` from `from`: leading white space, a sign, then inf/infinity/nan, a hex float or a
 * decimal. Sets strtodResult.end to the index after the number (or `from` when nothing converted).
 */
export function strtod(s: string, from: number): number {
  strtodResult.erange = false;
  let i = from;
  const n = s.length;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < n && (s[i] === "+" || s[i] === "-")) {
    neg = s[i] === "-";
    i++;
  }
  // Only a text starting with i/I or n/N can be inf or nan: numbers skip the lowered copy.
  const c0 = s.charCodeAt(i) | 0x20;
  const rest = c0 === 105 || c0 === 110 ? s.slice(i, i + 8).toLowerCase() : "";
  if (rest.startsWith("inf")) {
    strtodResult.end = i + (rest === "infinity" ? 8 : 3);
    return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (rest.startsWith("nan")) {
    let end = i + 3;
    if (s[end] === "(") {
      const close = s.indexOf(")", end);
      if (close >= 0 && /^[0-9A-Za-z_]*$/.test(s.slice(end + 1, close))) end = close + 1;
    }
    strtodResult.end = end;
    return Number.NaN;
  }
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    const v = hexFloat(s, i + 2);
    if (v !== null) return neg ? -v : v;
    // "0x" without hex digits: strtod reads just the "0".
  }
  const start = i;
  let digits = 0;
  let nonzero = false;
  while (i < n && isDigit(s.charCodeAt(i))) {
    if (s[i] !== "0") nonzero = true;
    i++;
    digits++;
  }
  if (i < n && s[i] === ".") {
    i++;
    while (i < n && isDigit(s.charCodeAt(i))) {
      if (s[i] !== "0") nonzero = true;
      i++;
      digits++;
    }
  }
  if (digits === 0) {
    strtodResult.end = from;
    return 0;
  }
  if (i < n && (s[i] === "e" || s[i] === "E")) {
    let j = i + 1;
    if (j < n && (s[j] === "+" || s[j] === "-")) j++;
    if (j < n && isDigit(s.charCodeAt(j))) {
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      i = j;
    }
  }
  strtodResult.end = i;
  const v = Number(s.slice(start, i));
  // glibc reports ERANGE on overflow, on underflow to zero and for subnormal results.
  const a = Math.abs(v);
  if (!Number.isFinite(v) || (v === 0 && nonzero) || (a !== 0 && a < 2.2250738585072014e-308)) {
    strtodResult.erange = true;
    cErrno.erange = true;
  }
  return neg ? -v : v;
}

/** The part of a hex float after "0x"; null when no hex digit follows. Sets strtodResult.end. */
function hexFloat(s: string, i: number): number | null {
  let v = 0;
  let digits = 0;
  let scale = 0;
  while (i < s.length && HEX_DIGIT.test(s[i])) {
    v = v * 16 + Number.parseInt(s[i], 16);
    i++;
    digits++;
  }
  if (s[i] === ".") {
    let j = i + 1;
    while (j < s.length && HEX_DIGIT.test(s[j])) {
      v = v * 16 + Number.parseInt(s[j], 16);
      scale -= 4;
      j++;
      digits++;
    }
    if (digits > 0) i = j;
  }
  if (digits === 0) return null;
  if (s[i] === "p" || s[i] === "P") {
    let j = i + 1;
    let eneg = false;
    if (s[j] === "+" || s[j] === "-") {
      eneg = s[j] === "-";
      j++;
    }
    if (j < s.length && isDigit(s.charCodeAt(j))) {
      let e = 0;
      while (j < s.length && isDigit(s.charCodeAt(j))) e = Math.min(e * 10 + s.charCodeAt(j++) - 48, 100000);
      scale += eneg ? -e : e;
      i = j;
    }
  }
  strtodResult.end = i;
  const r = v * 2 ** scale;
  if (!Number.isFinite(r) || (r === 0 && v !== 0)) {
    strtodResult.erange = true;
    cErrno.erange = true;
  }
  return r;
}
