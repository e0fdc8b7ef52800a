/**
 * Number formatting exactly as Redis prints doubles, so replies match byte for byte.
 */

/** C's printf("%.17g"): 17 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e17. */
export function formatDouble17g(d: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Number.POSITIVE_INFINITY) return "inf";
  if (d === Number.NEGATIVE_INFINITY) return "-inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const expForm = d.toExponential(16); // d.dddddddddddddddde±X: exactly 17 significant digits
  const e = expForm.indexOf("e");
  const exp = Number(expForm.slice(e + 1));
  if (exp < -4 || exp >= 17) {
    let mant = expForm.slice(0, e);
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const sign = exp < 0 ? "-" : "+";
    const abs = Math.abs(exp);
    return `${mant}e${sign}${abs < 10 ? "0" : ""}${abs}`;
  }
  let fixed = d.toFixed(16 - exp);
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

/**
 * Redis 7.0.15's d2string (util.c): a double with no fractional part within ±2^62 (double2ll's range,
 * LLONG_MAX/2) prints as that integer, the rest as %.17g. Used where Redis turns a double into a stored
 * string or a reply (zset scores in listpacks and ZSCAN, HINCRBYFLOAT in RESP2 replies).
 */
export function d2string(d: number): string {
  if (Number.isInteger(d) && d >= -(2 ** 62) && d <= 2 ** 62) {
    if (Object.is(d, -0)) return "-0";
    // Beyond 2^53 String() rounds to the shortest digits ("1152921504606847000"); the integer is exact.
    return d > -9007199254740992 && d < 9007199254740992 ? String(d) : BigInt(d).toString();
  }
  return formatDouble17g(d);
}

/**
 * INCRBYFLOAT / HINCRBYFLOAT output: Redis prints a long double with "%.17Lf" and trims trailing zeros
 * (ld2string, LD_STR_HUMAN). We compute in doubles, so the digits past double precision come from the
 * shortest round-trip form rather than long double arithmetic. That differs from Redis (1.1 + 2.2 gives
 * "3.3000000000000003", Redis "3.3"): for Redis's exact texts use store/long-double.ts, as INCRBYFLOAT does.
 */
export function formatHumanDouble(d: number): string {
  if (Number.isInteger(d) && Math.abs(d) < 1e21) return Object.is(d, -0) ? "0" : d.toFixed(0);
  let s = String(d);
  if (s.includes("e")) {
    // Expand exponent notation into plain decimal digits, as %Lf would.
    s = d.toFixed(17);
    if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  }
  return s;
}
