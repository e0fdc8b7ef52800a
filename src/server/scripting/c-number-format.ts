/**
 * C's printf conversions of a double (%f, %e, %g and their upper-case forms) digit for digit as glibc
 * prints them: the exact binary value is expanded to decimal with BigInt and rounded half-to-even, so the
 * ties JavaScript's toFixed/toPrecision round away from zero (0.125 → "%.2f") come out as C's.
 *
 * Lua 5.1 (Redis's Lua) turns numbers into strings with "%.14g" (LUA_NUMBER_FMT); `luaNumberToString`
 * is that, with a fast path for the small integers scripts mostly handle.
 */

export interface CFormatFlags {
  left: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
}

const NO_FLAGS: CFormatFlags = { left: false, plus: false, space: false, alt: false, zero: false };

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Exact decimal digits of a finite x > 0: x = 0.DIGITS × 10^point (no leading zeros in digits). */
function exactDecimal(x: number): { digits: string; point: number } {
  f64[0] = x;
  const lo = u32[0];
  const hi = u32[1];
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let point: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    point = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    point = digits.length + exp;
  }
  const trimmed = digits.replace(/0+$/, "");
  return { digits: trimmed === "" ? "0" : trimmed, point };
}

/**
 * Rounds 0.DIGITS × 10^point to `keep` digits (counted from the first digit), half to even.
 * Returns the kept digits (padded with zeros) and the possibly carried point.
 */
function roundDigits(digits: string, point: number, keep: number): { digits: string; point: number } {
  if (keep < 0) return { digits: "", point };
  if (digits.length <= keep) return { digits: digits.padEnd(keep, "0"), point };
  const next = digits.charCodeAt(keep) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else {
    const restNonZero = /[1-9]/.test(digits.slice(keep + 1));
    if (restNonZero) up = true;
    else up = keep > 0 ? (digits.charCodeAt(keep - 1) - 48) % 2 === 1 : false;
  }
  let kept = digits.slice(0, keep);
  if (!up) return { digits: kept, point };
  // Add one unit in the last kept place, carrying.
  const arr = kept.split("");
  let i = arr.length - 1;
  while (i >= 0) {
    if (arr[i] === "9") {
      arr[i] = "0";
      i--;
    } else {
      arr[i] = String.fromCharCode(arr[i].charCodeAt(0) + 1);
      break;
    }
  }
  kept = arr.join("");
  if (i < 0) return { digits: "1" + kept.slice(0, Math.max(0, keep - 1)), point: point + 1 };
  return { digits: kept, point };
}

function fixedBody(x: number, prec: number, alt: boolean): string {
  if (x === 0) return prec > 0 ? "0." + "0".repeat(prec) : alt ? "0." : "0";
  const { digits, point } = exactDecimal(x);
  const keep = point + prec;
  let intPart: string;
  let frac: string;
  if (keep <= 0) {
    // Everything is below the last printed place: it rounds to 0 or to one unit of that place.
    let up = false;
    if (keep === 0) {
      const first = digits.charCodeAt(0) - 48;
      up = first > 5 || (first === 5 && /[1-9]/.test(digits.slice(1)));
    }
    const all = up ? "1".padStart(prec + 1, "0") : "0".repeat(prec + 1);
    intPart = all.slice(0, all.length - prec) || "0";
    frac = all.slice(all.length - prec);
  } else {
    const r = roundDigits(digits, point, keep);
    const total = r.point + prec; // digits in r.digits once padded
    const padded = r.digits.padEnd(total, "0");
    if (r.point <= 0) {
      intPart = "0";
      frac = "0".repeat(-r.point) + padded;
      frac = frac.slice(0, prec);
    } else {
      intPart = padded.slice(0, r.point);
      frac = padded.slice(r.point, r.point + prec);
    }
  }
  if (prec === 0) return alt ? intPart + "." : intPart;
  return intPart + "." + frac;
}

function expBody(x: number, prec: number, alt: boolean, upper: boolean): string {
  let mant: string;
  let e: number;
  if (x === 0) {
    mant = prec > 0 ? "0." + "0".repeat(prec) : alt ? "0." : "0";
    e = 0;
  } else {
    const { digits, point } = exactDecimal(x);
    const r = roundDigits(digits, point, prec + 1);
    mant = prec > 0 ? r.digits[0] + "." + r.digits.slice(1) : alt ? r.digits[0] + "." : r.digits[0];
    e = r.point - 1;
  }
  const ae = Math.abs(e);
  return mant + (upper ? "E" : "e") + (e < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + ae;
}

function generalBody(x: number, precIn: number, alt: boolean, upper: boolean): string {
  const p = precIn === 0 ? 1 : precIn;
  let X: number;
  if (x === 0) X = 0;
  else {
    const { digits, point } = exactDecimal(x);
    X = roundDigits(digits, point, p).point - 1;
  }
  let s: string;
  if (p > X && X >= -4) s = fixedBody(x, p - 1 - X, alt);
  else s = expBody(x, p - 1, alt, upper);
  if (!alt) {
    const ePos = s.search(/[eE]/);
    let mant = ePos < 0 ? s : s.slice(0, ePos);
    const tail = ePos < 0 ? "" : s.slice(ePos);
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    s = mant + tail;
  }
  return s;
}

/**
 * One C conversion of a double: conv is one of f F e E g G; precision -1 means the default (6).
 * Width and flags apply as printf does (left, '+', ' ', '#', '0').
 */
export function formatCDouble(
  conv: string,
  x: number,
  flags: CFormatFlags = NO_FLAGS,
  width = 0,
  precision = -1,
): string {
  const prec = precision < 0 ? 6 : precision;
  const upper = conv === "E" || conv === "G" || conv === "F";
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  let body: string;
  let special = false;
  if (Number.isNaN(x)) {
    body = upper ? "NAN" : "nan";
    special = true;
  } else if (!Number.isFinite(x)) {
    body = upper ? "INF" : "inf";
    special = true;
  } else if (conv === "f" || conv === "F") body = fixedBody(ax, prec, flags.alt);
  else if (conv === "e" || conv === "E") body = expBody(ax, prec, flags.alt, upper);
  else body = generalBody(ax, prec, flags.alt, upper);
  const sign = neg && !Number.isNaN(x) ? "-" : flags.plus ? "+" : flags.space ? " " : "";
  return padNumber(sign, body, width, flags.left, flags.zero && !special);
}

/** Applies printf's width: spaces (left or right) or zeros after the sign. */
export function padNumber(sign: string, body: string, width: number, left: boolean, zero: boolean): string {
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  const fill = width - len;
  if (left) return sign + body + " ".repeat(fill);
  if (zero) return sign + "0".repeat(fill) + body;
  return " ".repeat(fill) + sign + body;
}

/** Lua 5.1's tostring for numbers: "%.14g" (so 10/2 → "5", 1e15 → "1e+15", 0.1 → "0.1"). */
export function luaNumberToString(x: number): string {
  if (Number.isInteger(x) && x < 1e14 && x > -1e14) return Object.is(x, -0) ? "-0" : String(x);
  return formatCDouble("g", x, NO_FLAGS, 0, 14);
}
