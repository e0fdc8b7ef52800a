/**
 * The one table of RESP's bytes: every type byte of RESP2 and RESP3 and the line terminators. A `const
 * enum`, so the compiler writes the numbers themselves into each use (a `switch` on them stays a jump
 * table on the hot paths that cut and parse frames).
 */
// biome-ignore lint/suspicious/noConstEnum: tsc compiles the whole program (no isolatedModules, no bundler), and the inlined literals are the point
export const enum RespByte {
  // RESP2
  SIMPLE_STRING = 43, // +
  ERROR = 45, // -
  INTEGER = 58, // :
  BULK_STRING = 36, // $
  ARRAY = 42, // *
  // RESP3
  NULL = 95, // _
  DOUBLE = 44, // ,
  BOOLEAN = 35, // #
  BIG_NUMBER = 40, // (
  BULK_ERROR = 33, // !
  VERBATIM_STRING = 61, // =
  MAP = 37, // %
  SET = 126, // ~
  ATTRIBUTE = 124, // |
  PUSH = 62, // >
  // line bytes
  CR = 13,
  LF = 10,
}

/** The ASCII bytes of lengths ("-1", "0"). */
const MINUS = 45;
const ZERO = 48;

/** What `parseLength` returns for text that is not a valid length. */
export const BAD_LENGTH = Number.MIN_SAFE_INTEGER;

/**
 * Parses the signed decimal in buf[start, end) as Redis's string2ll does (no '+', no leading zeros except
 * "0", at most 18 digits here); BAD_LENGTH when invalid. Every RESP reader parses its lengths with it.
 */
export function parseLength(buf: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 18) return BAD_LENGTH;
  let i = start;
  let negative = false;
  if (buf[i] === MINUS) {
    negative = true;
    i++;
    if (i === end) return BAD_LENGTH;
  }
  if (buf[i] === ZERO && end - i > 1) return BAD_LENGTH;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return BAD_LENGTH;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
