/**
 * Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in C's `long double`, which on x86-64 is the 80-bit
 * extended format: a 64-bit significand and a 15-bit exponent. Its results differ visibly from a JS
 * double's: 1.1 + 2.2 prints "3.3" in Redis, where doubles give 3.3000000000000003. So this module
 * emulates exactly what Redis does, with BigInt arithmetic:
 *
 *   - `parseLongDouble`: string2ld (strtold with Redis's extra checks), correctly rounded to 64 bits;
 *   - `addLongDouble`: one IEEE addition, rounded to nearest-even at 64 bits;
 *   - `formatLongDoubleHuman`: ld2string in LD_STR_HUMAN mode ("%.17Lf" with trailing zeros removed).
 *
 * None of this is on a hot path; clarity wins over speed.
 */

// ─── the value ───────────────────────────────────────────────────────────────────────────────────────────

/** A finite extended-precision value: (-1)^neg × mant × 2^exp, with mant < 2^64. Or an infinity. */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
  inf: boolean;
}

const SIGNIFICAND_BITS = 64;
/** The exponent of the least significant bit of the smallest subnormal (2^-16445). */
const MIN_LSB_EXP = -16445;
/** Values at or above 2^16384 overflow to infinity. */
const MAX_EXP_LIMIT = 16384;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds (-1)^neg × n × 2^exp (n ≥ 0 exact; `sticky` says nonzero bits were already dropped below n)
 * to 64 significant bits, nearest-even, with subnormals and overflow as the x87 format has them.
 */
function roundToLongDouble(neg: boolean, n: bigint, exp: number, sticky: boolean): LongDouble {
  if (n === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  const len = bitLength(n);
  let shift = len - SIGNIFICAND_BITS;
  // Do not go below the smallest subnormal's bit.
  if (exp + shift < MIN_LSB_EXP) shift = MIN_LSB_EXP - exp;
  if (shift > 0) {
    const big = BigInt(shift);
    const kept = n >> big;
    const rest = n - (kept << big);
    const half = 1n << (big - 1n);
    let m = kept;
    // Nearest, ties to even; a tie with dropped nonzero bits below it is really above half.
    if (rest > half || (rest === half && (sticky || (kept & 1n) === 1n))) m++;
    n = m;
    exp += shift;
    // Rounding up may carry into a 65th bit.
    if (bitLength(n) > SIGNIFICAND_BITS) {
      n >>= 1n;
      exp++;
    }
  }
  if (n === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  if (exp + bitLength(n) > MAX_EXP_LIMIT) return { neg, mant: 0n, exp: 0, inf: true };
  return { neg, mant: n, exp, inf: false };
}

// ─── parsing (string2ld) ─────────────────────────────────────────────────────────────────────────────────

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^([+-]?)(inf|infinity)$/i;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer arguments are refused outright. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/**
 * Redis's string2ld: the whole text must be a number strtold reads (decimal, hex float, inf), with no
 * leading space; NaN is refused, and so are results that overflow or underflow to zero (ERANGE).
 * Null when invalid.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null;
  let m = DECIMAL_RE.exec(s);
  if (m !== null) {
    const intPart = m[2];
    const frac = m[3] ?? "";
    if (intPart.length === 0 && frac.length === 0) return null;
    const neg = m[1] === "-";
    const digits = (intPart + frac).replace(/^0+/, "");
    if (digits.length === 0) return { neg, mant: 0n, exp: 0, inf: false };
    // Exponent strings can be long ("1e0000000000005"); clamp before they become huge BigInts.
    const e10raw = m[4] === undefined ? 0 : Number(m[4]);
    const e10 = Math.max(-1e7, Math.min(1e7, e10raw)) - frac.length;
    const magnitude = digits.length + e10; // value < 10^magnitude
    if (magnitude > 4933) return null; // ≥ 1e4933 overflows (ERANGE with HUGE_VAL)
    if (magnitude < -4951) return null; // below the smallest subnormal: zero with ERANGE
    const d = BigInt(digits);
    let r: LongDouble;
    if (e10 >= 0) {
      r = roundToLongDouble(neg, d * 10n ** BigInt(e10), 0, false);
    } else {
      const den = 10n ** BigInt(-e10);
      // Scale so the quotient has at least 66 bits, then round with the remainder as sticky bit.
      const k = Math.max(0, SIGNIFICAND_BITS + 2 + bitLength(den) - bitLength(d));
      const num = d << BigInt(k);
      const q = num / den;
      r = roundToLongDouble(neg, q, -k, q * den !== num);
    }
    if (r.inf || r.mant === 0n) return null;
    return r;
  }
  m = HEX_RE.exec(s);
  if (m !== null) {
    const intPart = m[2];
    const frac = m[3] ?? "";
    if (intPart.length === 0 && frac.length === 0) return null;
    const neg = m[1] === "-";
    const h = BigInt(`0x${intPart}${frac}`.replace(/^0x$/, "0x0"));
    if (h === 0n) return { neg, mant: 0n, exp: 0, inf: false };
    const p = m[4] === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(m[4])));
    const r = roundToLongDouble(neg, h, p - 4 * frac.length, false);
    if (r.inf || r.mant === 0n) return null;
    return r;
  }
  m = INF_RE.exec(s);
  if (m !== null) return { neg: m[1] === "-", mant: 0n, exp: 0, inf: true };
  return null;
}

// ─── arithmetic ──────────────────────────────────────────────────────────────────────────────────────────

/** a + b rounded once to extended precision. Infinite operands give an infinity (the caller refuses it). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.inf || b.inf) return { neg: a.inf ? a.neg : b.neg, mant: 0n, exp: 0, inf: true };
  if (a.mant === 0n && b.mant === 0n) return { neg: a.neg && b.neg, mant: 0n, exp: 0, inf: false };
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const av = a.mant << BigInt(a.exp - e);
  const bv = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  // An exact zero sum is +0 when rounding to nearest.
  if (sum === 0n) return { neg: false, mant: 0n, exp: 0, inf: false };
  return roundToLongDouble(sum < 0n, sum < 0n ? -sum : sum, e, false);
}

// ─── formatting (ld2string, LD_STR_HUMAN) ────────────────────────────────────────────────────────────────

const FRACTION_DIGITS = 17;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);

/**
 * "%.17Lf" of the exact value (rounded half-to-even, as glibc's printf does), then trailing zeros and a
 * bare point removed, and "-0" turned into "0" — the text Redis stores and replies for INCRBYFLOAT.
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.inf) return v.neg ? "-inf" : "inf";
  let q: bigint;
  if (v.exp >= 0) {
    q = (v.mant << BigInt(v.exp)) * SCALE;
  } else {
    const num = v.mant * SCALE;
    const sh = BigInt(-v.exp);
    q = num >> sh;
    const rest = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  const digits = q.toString().padStart(FRACTION_DIGITS + 1, "0");
  let text = `${digits.slice(0, -FRACTION_DIGITS)}.${digits.slice(-FRACTION_DIGITS)}`;
  text = text.replace(/0+$/, "").replace(/\.$/, "");
  if (v.neg && text !== "0") text = `-${text}`;
  return text;
}
