import { constants as bufferConstants } from "node:buffer";
import { STRING_RAW } from "../../store/object-encoding.js";
import { eqi, parseInt64, parseInteger } from "../arguments.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE } from "../shared-replies.js";
import { modified } from "./helpers.js";
import {
  byteAt,
  commitString,
  isRawString,
  lookupRawRead,
  readBytes,
  writableString,
} from "./string-bytes.js";
import { rangeArg } from "./strings.js";

/**
 * Redis's bitops.c: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. Bits are numbered
 * from the most significant bit of byte 0. Writes edit the value's bytes in place (string-bytes.ts), so
 * setting a bit of a large bitmap does not copy it.
 */

/**
 * The engine's longest string (a little under 512 MB): a bit written beyond it could never be read back
 * as a string, so such writes are refused as an out-of-range offset, where Redis would allocate up to
 * proto-max-bulk-len. Reads that far are fine (they read zeros).
 */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

const ERR_BIT_OFFSET = "ERR bit offset is not an integer or out of range";

/**
 * Redis's getBitOffsetFromArgument: 0 ≤ offset and offset/8 < proto-max-bulk-len (not checked for our
 * master's stream). With `bits` > 0 (BITFIELD), "#N" means N*bits, multiplied in 64-bit arithmetic as
 * Redis does. Returns -1 after replying the error.
 */
function bitOffsetArg(c: Client, s: string, bits = 0, write = false): number {
  const hash = bits > 0 && s.charCodeAt(0) === 35; // '#'
  const digits = hash ? s.slice(1) : s;
  let n = parseInteger(digits);
  if (n === null || (hash && Math.abs(n) > 2 ** 46)) {
    // Rare: beyond double precision, or a "#N" whose product needs int64 wrap-around (BigInt).
    let b = parseInt64(digits);
    if (b !== null && hash) b = BigInt.asIntN(64, b * BigInt(bits));
    n = b === null ? null : Number(b);
  } else if (hash) n *= bits;
  if (
    n === null ||
    n < 0 ||
    (!(c.flags & ClientFlag.MASTER) && Math.floor(n / 8) >= c.server.protoMaxBulkLen) ||
    (write && Math.floor((n + Math.max(bits, 1) - 1) / 8) >= MAX_STRING_LENGTH)
  ) {
    c.reply.error(ERR_BIT_OFFSET);
    return -1;
  }
  return n;
}

// ─── SETBIT / GETBIT ─────────────────────────────────────────────────────────────────────────────────────

function setbitCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const offset = bitOffsetArg(c, argv[2], 0, true);
  if (offset < 0) return;
  const on = argv[3] === "1" ? 1 : argv[3] === "0" ? 0 : parseInteger(argv[3]);
  if (on !== 0 && on !== 1) {
    // Any other integer, or no integer at all, gets the same message in Redis.
    c.reply.error("ERR bit is not an integer or out of range");
    return;
  }
  const v = c.db.lookupRawWrite(key);
  if (v !== undefined && !isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset & 7));
  const oldLength = v === undefined ? -1 : v.length;
  const ms = writableString(c, key, v, byte + 1);
  const byteval = ms.buf[byte];
  const bitval = byteval & mask ? 1 : 0;
  // Like Redis 7.0: a write only when the key is new, grew, or the bit actually changes.
  if (oldLength !== ms.length || bitval !== on) {
    ms.buf[byte] = on ? byteval | mask : byteval & ~mask;
    commitString(c, key, ms);
    modified(c, key, Notify.STRING, "setbit");
  } else if (typeof v === "string") {
    // lookupStringForBitCommand unshares the value (dbUnshareStringValue) even when no bit changes.
    c.db.stringEncodings.set(key, STRING_RAW);
  }
  c.reply.integer(bitval);
}

function getbitCommand(c: Client, argv: string[]): void {
  const offset = bitOffsetArg(c, argv[2]);
  if (offset < 0) return;
  const v = lookupRawRead(c, argv[1]);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const byte = Math.floor(offset / 8);
  c.reply.integer(byte < v.length && byteAt(v, byte) & (1 << (7 - (offset & 7))) ? 1 : 0);
}

// ─── BITCOUNT / BITPOS ───────────────────────────────────────────────────────────────────────────────────

/** Bits set in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/**
 * A BITCOUNT/BITPOS range: byte indexes [start, end] plus masks of the bits outside a BIT range in the
 * first and last byte (Redis's first_byte_neg_mask / last_byte_neg_mask).
 */
interface BitRange {
  start: number;
  end: number;
  firstMask: number;
  lastMask: number;
}

const bitRange: BitRange = { start: 0, end: 0, firstMask: 0, lastMask: 0 };

/** Normalizes start/end as bitcountCommand/bitposCommand do (totlen counts bits in BIT mode). */
function normalizeBitRange(start: number, end: number, len: number, isBit: boolean): BitRange {
  const totlen = isBit ? len * 8 : len;
  if (start < 0) start = totlen + start;
  if (end < 0) end = totlen + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= totlen) end = totlen - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isBit && start <= end) {
    firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
    lastMask = (1 << (7 - (end % 8))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  bitRange.start = start;
  bitRange.end = end;
  bitRange.firstMask = firstMask;
  bitRange.lastMask = lastMask;
  return bitRange;
}

/** BIT or BYTE (case-insensitive); null after a syntax error reply. */
function bitUnitArg(c: Client, s: string): boolean | null {
  const u = s.toLowerCase();
  if (u === "bit") return true;
  if (u === "byte") return false;
  c.reply.error(ERR_SYNTAX);
  return null;
}

/** BITCOUNT key [start end [BYTE|BIT]] — Redis 7.0 looks the key up before it reads the range. */
function bitcountCommand(c: Client, argv: string[]): void {
  const v = lookupRawRead(c, argv[1]);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let r: BitRange;
  if (argv.length === 4 || argv.length === 5) {
    const start = rangeArg(c, argv[2]);
    if (start === null) return;
    const end = rangeArg(c, argv[3]);
    if (end === null) return;
    if (start < 0 && end < 0 && start > end) {
      c.reply.integer(0);
      return;
    }
    let isBit = false;
    if (argv.length === 5) {
      const u = bitUnitArg(c, argv[4]);
      if (u === null) return;
      isBit = u;
    }
    r = normalizeBitRange(start, end, v.length, isBit);
  } else if (argv.length === 2) {
    r = normalizeBitRange(0, v.length - 1, v.length, false);
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (r.start > r.end) {
    c.reply.integer(0);
    return;
  }
  const p = readBytes(v);
  let count = 0;
  for (let i = r.start; i <= r.end; i++) count += POPCOUNT[p[i]];
  if (r.firstMask !== 0) count -= POPCOUNT[p[r.start] & r.firstMask];
  if (r.lastMask !== 0) count -= POPCOUNT[p[r.end] & r.lastMask];
  c.reply.integer(count);
}

/** BITPOS key bit [start [end [BYTE|BIT]]]. */
function bitposCommand(c: Client, argv: string[]): void {
  const bitArg = parseInt64(argv[2]);
  if (bitArg === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const bit = bitArg === 1n ? 1 : 0;
  if (bitArg !== 0n && bitArg !== 1n) {
    c.reply.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const v = lookupRawRead(c, argv[1]);
  if (v === undefined) {
    // A missing key is an endless run of zeros.
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  if (!isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const len = v.length;
  let endGiven = false;
  let r: BitRange;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = rangeArg(c, argv[3]);
    if (start === null) return;
    let isBit = false;
    if (argv.length === 6) {
      const u = bitUnitArg(c, argv[5]);
      if (u === null) return;
      isBit = u;
    }
    let end = len - 1;
    if (argv.length >= 5) {
      const e = rangeArg(c, argv[4]);
      if (e === null) return;
      end = e;
      endGiven = true;
    }
    r = normalizeBitRange(start, end, len, isBit);
  } else if (argv.length === 3) {
    r = normalizeBitRange(0, len - 1, len, false);
  } else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (r.start > r.end) {
    c.reply.integer(-1);
    return;
  }
  // Scan the bytes; the edge bytes of a BIT range have their outside bits forced to "not the target".
  const p = readBytes(v);
  const want = bit === 1 ? 0 : 0xff; // a byte with no target bit
  for (let i = r.start; i <= r.end; i++) {
    let b = p[i];
    if (i === r.start && r.firstMask !== 0) b = bit ? b & ~r.firstMask : b | r.firstMask;
    if (i === r.end && r.lastMask !== 0) b = bit ? b & ~r.lastMask : b | r.lastMask;
    if (b === want) continue;
    for (let k = 0; k < 8; k++) {
      if (((b >> (7 - k)) & 1) === bit) {
        c.reply.integer(i * 8 + k);
        return;
      }
    }
  }
  // No clear bit in range: without an explicit end the string is seen as zero-padded to the right.
  c.reply.integer(bit === 1 || endGiven ? -1 : (r.end + 1) * 8);
}

// ─── BITOP ───────────────────────────────────────────────────────────────────────────────────────────────

/** BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys are empty strings, shorter ones zero-padded. */
function bitopCommand(c: Client, argv: string[]): void {
  const op = argv[1].toLowerCase();
  if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (op === "not" && argv.length !== 4) {
    c.reply.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const dest = argv[2];
  const srcs: Buffer[] = [];
  const lens: number[] = [];
  let maxlen = 0;
  for (let i = 3; i < argv.length; i++) {
    const v = lookupRawRead(c, argv[i]);
    if (v !== undefined && !isRawString(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    const len = v === undefined ? 0 : v.length;
    // Each source needs its own bytes (readBytes' scratch would be reused by the next one).
    srcs.push(v === undefined ? EMPTY : typeof v === "string" ? Buffer.from(v, "latin1") : v.buf);
    lens.push(len);
    if (len > maxlen) maxlen = len;
  }
  if (maxlen === 0) {
    if (c.db.delete(dest)) modified(c, dest, Notify.GENERIC, "del");
    c.reply.integer(0);
    return;
  }
  const out = Buffer.alloc(maxlen);
  const first = srcs[0];
  const firstLen = lens[0];
  for (let i = 0; i < maxlen; i++) {
    let acc = i < firstLen ? first[i] : 0;
    if (op === "not") acc = ~acc & 0xff;
    for (let j = 1; j < srcs.length; j++) {
      const b = i < lens[j] ? srcs[j][i] : 0;
      if (op === "and") acc &= b;
      else if (op === "or") acc |= b;
      else acc ^= b;
    }
    out[i] = acc;
  }
  c.db.setKey(dest, out.latin1Slice(0, maxlen));
  c.db.stringEncodings.set(dest, STRING_RAW); // created as a raw string
  modified(c, dest, Notify.STRING, "set");
  c.reply.integer(maxlen);
}

const EMPTY = Buffer.alloc(0);

// ─── BITFIELD / BITFIELD_RO ──────────────────────────────────────────────────────────────────────────────

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

const OVERFLOW_WRAP = 0;
const OVERFLOW_SAT = 1;
const OVERFLOW_FAIL = 2;

/** One parsed BITFIELD operation (Redis's struct bitfieldOp). */
interface BitfieldOp {
  offset: number;
  /** SET value or INCRBY increment (int64): as a Number when within ±2^52, else NaN and `big` holds it. */
  arg: number;
  big: bigint;
  opcode: number;
  owtype: number;
  bits: number;
  signed: boolean;
}

const ERR_BITFIELD_TYPE =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/**
 * Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63 (string2ll rules for the digits, read up to a
 * NUL byte as C's strlen does). Returns the bit count, negative for signed, 0 after replying the error.
 */
function bitfieldTypeArg(c: Client, s: string): number {
  const sign = s.charCodeAt(0);
  if (sign === 105 || sign === 117) {
    // 'i' or 'u'. The common "u8"/"i16": one or two digits, no leading zero, read without a copy.
    const d1 = s.charCodeAt(1) - 48;
    const d2 = s.charCodeAt(2) - 48;
    let n: number | null;
    if (s.length === 2 && d1 >= 1 && d1 <= 9) n = d1;
    else if (s.length === 3 && d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9) n = d1 * 10 + d2;
    else {
      const nul = s.indexOf("\0");
      n = parseInteger(nul < 0 ? s.slice(1) : s.slice(1, nul));
    }
    if (n !== null && n >= 1 && n <= (sign === 105 ? 64 : 63)) return sign === 105 ? -n : n;
  }
  c.reply.error(ERR_BITFIELD_TYPE);
  return 0;
}

const U64_MASK = (1n << 64n) - 1n;
const asU64 = (x: bigint): bigint => x & U64_MASK;
const asI64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** Reads `bits` (≤ 32) bits at bit `offset`; bytes at or past `len` read as zero. */
function getBitsSmall(p: Buffer, len: number, offset: number, bits: number): number {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + (i < len ? p[i] : 0);
  const tail = 7 - ((offset + bits - 1) & 7);
  return Math.floor(v / 2 ** tail) % 2 ** bits;
}

/** Writes the low `bits` (≤ 32) bits of `value` (0 ≤ value < 2^bits) at bit `offset`. */
function setBitsSmall(p: Buffer, offset: number, bits: number, value: number): void {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + p[i];
  const tail = 7 - ((offset + bits - 1) & 7);
  const low = v % 2 ** tail;
  const high = Math.floor(v / 2 ** (tail + bits));
  v = (high * 2 ** bits + value) * 2 ** tail + low;
  for (let i = last; i >= first; i--) {
    p[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** getUnsignedBitfield for any width: over 32 bits, the high and low parts read as Numbers, joined once. */
function getBitsBig(p: Buffer, len: number, offset: number, bits: number): bigint {
  if (bits <= 32) return BigInt(getBitsSmall(p, len, offset, bits));
  const high = getBitsSmall(p, len, offset, bits - 32);
  const low = getBitsSmall(p, len, offset + bits - 32, 32);
  return (BigInt(high) << 32n) | BigInt(low);
}

/** setUnsignedBitfield for any width: the low `bits` bits of `value` (a uint64), over 32 bits in two parts. */
function setBitsBig(p: Buffer, offset: number, bits: number, value: bigint): void {
  if (bits <= 32) {
    setBitsSmall(p, offset, bits, Number(value & ((1n << BigInt(bits)) - 1n)));
    return;
  }
  setBitsSmall(p, offset, bits - 32, Number((value >> 32n) & ((1n << BigInt(bits - 32)) - 1n)));
  setBitsSmall(p, offset + bits - 32, 32, Number(value & 0xffffffffn));
}

/** The outcome of an overflow check (Redis's return value and *limit). */
const overflow = { result: 0, limit: 0n };

/**
 * Redis's checkUnsignedBitfieldOverflow, in C's uint64/int64 arithmetic: `value` is a uint64, `incr` an
 * int64. Sets overflow.result (0, 1 or -1) and, for WRAP and SAT, overflow.limit.
 */
function checkUnsignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): void {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = asI64(max - value);
  const minincr = asI64(-value);
  let result = 0;
  if (value > max || (incr > 0n && incr > maxincr)) result = 1;
  else if (incr < 0n && incr < minincr) result = -1;
  overflow.result = result;
  if (result === 0) return;
  if (owtype === OVERFLOW_WRAP) overflow.limit = asU64(value + incr) & max;
  else if (owtype === OVERFLOW_SAT) overflow.limit = result === 1 ? max : 0n;
}

/** Redis's checkSignedBitfieldOverflow, with its int64 wrap-arounds reproduced. */
function checkSignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): void {
  const max = bits === 64 ? (1n << 63n) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = asI64(max - asU64(value));
  const minincr = asI64(min - value);
  let result = 0;
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    result = 1;
  } else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    result = -1;
  }
  overflow.result = result;
  if (result === 0) return;
  if (owtype === OVERFLOW_WRAP) {
    let w = asU64(value + incr);
    if (bits < 64) {
      const mask = asU64(-1n << BigInt(bits));
      w = w & (1n << BigInt(bits - 1)) ? w | mask : w & ~mask;
    }
    overflow.limit = asI64(w);
  } else if (owtype === OVERFLOW_SAT) {
    overflow.limit = result === 1 ? max : min;
  }
}

/** Largest |value| the Number fast path takes: sums of two stay exact doubles. */
const SAFE_OPERAND = 2 ** 52;

/** What one SET/INCRBY did to its field. */
const FIELD_FAILED = -1;
const FIELD_SAME = 0;
const FIELD_CHANGED = 1;

/**
 * One SET/INCRBY on the field, for widths ≤ 32 and operands small enough for exact double arithmetic
 * (then Redis's 64-bit checks reduce to plain comparisons). Replies the result, or null when OVERFLOW
 * FAIL refuses it.
 */
function writeFieldSmall(c: Client, p: Buffer, op: BitfieldOp, arg: number): number {
  const { bits, offset } = op;
  const span = 2 ** bits;
  const raw = getBitsSmall(p, p.length, offset, bits);
  let oldval: number;
  let max: number;
  let min: number;
  if (op.signed) {
    max = 2 ** (bits - 1) - 1;
    min = -max - 1;
    oldval = raw > max ? raw - span : raw;
  } else {
    max = span - 1;
    min = 0;
    oldval = raw;
  }
  // For SET the value itself is checked (increment 0); for INCRBY the sum.
  const target = op.opcode === OP_INCRBY ? oldval + arg : arg;
  // An unsigned SET of a negative value is a huge uint64 in Redis: always "too big".
  const tooBig = target > max || (!op.signed && op.opcode === OP_SET && arg < 0);
  const tooSmall = !tooBig && target < min;
  let newval = target;
  if (tooBig || tooSmall) {
    if (op.owtype === OVERFLOW_FAIL) {
      c.reply.nullBulk();
      return FIELD_FAILED;
    }
    if (op.owtype === OVERFLOW_SAT) newval = tooBig ? max : min;
    else {
      newval = ((target % span) + span) % span;
      if (op.signed && newval > max) newval -= span;
    }
  }
  c.reply.integer(op.opcode === OP_INCRBY ? newval : oldval);
  setBitsSmall(p, offset, bits, newval < 0 ? newval + span : newval);
  return newval !== oldval ? FIELD_CHANGED : FIELD_SAME;
}

/** The same for any width and operand, in BigInt with Redis's exact int64/uint64 semantics. */
function writeFieldBig(c: Client, p: Buffer, op: BitfieldOp): number {
  const { bits, offset } = op;
  const i64 = Number.isNaN(op.arg) ? op.big : BigInt(op.arg);
  const raw = getBitsBig(p, p.length, offset, bits);
  let oldval: bigint;
  let newval: bigint;
  let retval: bigint;
  if (op.signed) {
    oldval = bits < 64 && raw >> BigInt(bits - 1) ? raw - (1n << BigInt(bits)) : asI64(raw);
    if (op.opcode === OP_INCRBY) {
      checkSignedOverflow(oldval, i64, bits, op.owtype);
      newval = overflow.result !== 0 ? overflow.limit : oldval + i64;
      retval = newval;
    } else {
      newval = i64;
      checkSignedOverflow(newval, 0n, bits, op.owtype);
      if (overflow.result !== 0) newval = overflow.limit;
      retval = oldval;
    }
  } else {
    oldval = raw;
    if (op.opcode === OP_INCRBY) {
      newval = asU64(oldval + i64);
      checkUnsignedOverflow(oldval, i64, bits, op.owtype);
      if (overflow.result !== 0) newval = overflow.limit;
      retval = newval;
    } else {
      newval = asU64(i64);
      checkUnsignedOverflow(newval, 0n, bits, op.owtype);
      if (overflow.result !== 0) newval = overflow.limit;
      retval = oldval;
    }
  }
  if (overflow.result !== 0 && op.owtype === OVERFLOW_FAIL) {
    c.reply.nullBulk();
    return FIELD_FAILED;
  }
  c.reply.integer(asI64(retval));
  setBitsBig(p, offset, bits, asU64(newval));
  return newval !== oldval ? FIELD_CHANGED : FIELD_SAME;
}

/** The Number fast path's operand for `op`, or null when the BigInt path must run. */
function smallOperand(op: BitfieldOp): number | null {
  return op.bits <= 32 && !Number.isNaN(op.arg) ? op.arg : null;
}

/** GET: reads past the end of the value (or of a missing key) as zeros. */
function replyField(c: Client, p: Buffer, len: number, op: BitfieldOp): void {
  const { bits, offset } = op;
  if (bits <= 32) {
    const raw = getBitsSmall(p, len, offset, bits);
    c.reply.integer(op.signed && raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw);
    return;
  }
  const raw = getBitsBig(p, len, offset, bits);
  c.reply.integer(
    op.signed && (bits === 64 || raw >> BigInt(bits - 1)) ? asI64(raw - (1n << BigInt(bits))) : raw,
  );
}

/** BITFIELD / BITFIELD_RO (Redis's bitfieldGeneric): every argument is checked before anything runs. */
function bitfieldGeneric(c: Client, argv: string[], readonlyCommand: boolean): void {
  const key = argv[1];
  const ops: BitfieldOp[] = [];
  let owtype = OVERFLOW_WRAP;
  let readonly = true;
  let highestWrite = 0;
  for (let j = 2; j < argv.length; j++) {
    const remargs = argv.length - j - 1;
    const sub = argv[j];
    let opcode: number;
    if (remargs >= 2 && eqi(sub, "get")) opcode = OP_GET;
    else if (remargs >= 3 && eqi(sub, "set")) opcode = OP_SET;
    else if (remargs >= 3 && eqi(sub, "incrby")) opcode = OP_INCRBY;
    else if (remargs >= 1 && eqi(sub, "overflow")) {
      const name = argv[++j];
      if (eqi(name, "wrap")) owtype = OVERFLOW_WRAP;
      else if (eqi(name, "sat")) owtype = OVERFLOW_SAT;
      else if (eqi(name, "fail")) owtype = OVERFLOW_FAIL;
      else {
        c.reply.error("ERR Invalid OVERFLOW type specified");
        return;
      }
      continue;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    const type = bitfieldTypeArg(c, argv[j + 1]);
    if (type === 0) return;
    const bits = Math.abs(type);
    const offset = bitOffsetArg(c, argv[j + 2], bits, opcode !== OP_GET);
    if (offset < 0) return;
    let arg = 0;
    let big = 0n;
    if (opcode !== OP_GET) {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const n = parseInteger(argv[j + 3]);
      if (n !== null && Math.abs(n) <= SAFE_OPERAND) arg = n;
      else {
        const b = parseInt64(argv[j + 3]);
        if (b === null) {
          c.reply.error(ERR_NOT_INTEGER);
          return;
        }
        arg = Number.NaN;
        big = b;
      }
    }
    ops.push({ offset, arg, big, opcode, owtype, bits, signed: type < 0 });
    j += opcode === OP_GET ? 2 : 3;
  }

  if (readonly) {
    const v = lookupRawRead(c, key);
    if (v !== undefined && !isRawString(v)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    const p = v === undefined ? EMPTY : readBytes(v);
    const len = v === undefined ? 0 : v.length;
    c.reply.arrayHeader(ops.length);
    for (const op of ops) replyField(c, p, len, op);
    return;
  }
  if (readonlyCommand) {
    c.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
    return;
  }
  // Redis's lookupStringForBitCommand: created or zero-padded up to the farthest bit written.
  const v = c.db.lookupRawWrite(key);
  if (v !== undefined && !isRawString(v)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const oldLength = v === undefined ? -1 : v.length;
  const ms = writableString(c, key, v, Math.floor(highestWrite / 8) + 1);
  const dirty = oldLength !== ms.length;
  let changes = 0;
  c.reply.arrayHeader(ops.length);
  for (const op of ops) {
    const p = ms.buf;
    if (op.opcode === OP_GET) {
      replyField(c, p, ms.length, op);
      continue;
    }
    const small = smallOperand(op);
    const r = small !== null ? writeFieldSmall(c, p, op, small) : writeFieldBig(c, p, op);
    // As Redis: every write that ran counts on a new or grown value; a refused one never does.
    if (r === FIELD_CHANGED || (r === FIELD_SAME && dirty)) changes++;
  }
  // The value exists from here on even when every write was refused, as with Redis.
  commitString(c, key, ms);
  if (changes > 0) modified(c, key, Notify.STRING, "setbit", changes);
}

function bitfieldCommand(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, false);
}

function bitfieldRoCommand(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, true);
}

export const bitopsCommands: CommandDef[] = [
  { name: "setbit", handler: setbitCommand },
  { name: "getbit", handler: getbitCommand },
  { name: "bitcount", handler: bitcountCommand },
  { name: "bitpos", handler: bitposCommand },
  { name: "bitop", handler: bitopCommand },
  { name: "bitfield", handler: bitfieldCommand },
  { name: "bitfield_ro", handler: bitfieldRoCommand },
];
