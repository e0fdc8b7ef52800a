/**
 * Stream entry IDs (Redis's streamID): a 64-bit unsigned millisecond time and a 64-bit unsigned sequence.
 *
 * Each half is a `U64`: a JS number while it is a safe integer (≤ 2^53 - 1, every real clock time and
 * almost every sequence), a bigint beyond that. The form is canonical (a value that fits a safe integer is
 * never a bigint), so `===` is equality, and `<`/`>` compare a number with a bigint exactly, which keeps
 * comparisons on the common path free of BigInt arithmetic while the full u64 range stays correct
 * (XADD key 18446744073709551615-18446744073709551615 works as in Redis).
 */

export type U64 = number | bigint;

export interface StreamID {
  ms: U64;
  seq: U64;
}

export const U64_MAX = 18446744073709551615n;
const TWO_64 = 18446744073709551616n;
const SAFE = Number.MAX_SAFE_INTEGER;

/** A bigint in [0, 2^64) in canonical U64 form. */
export function u64(v: bigint): U64 {
  return v <= 9007199254740991n ? Number(v) : v;
}

export const ZERO_ID: Readonly<StreamID> = { ms: 0, seq: 0 };
export const MAX_ID: Readonly<StreamID> = { ms: U64_MAX, seq: U64_MAX };

export function makeId(ms: U64, seq: U64): StreamID {
  return { ms, seq };
}

/** streamCompareID: -1, 0 or 1. */
export function compareId(a: StreamID, b: StreamID): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function compareParts(ams: U64, aseq: U64, bms: U64, bseq: U64): number {
  if (ams !== bms) return ams < bms ? -1 : 1;
  if (aseq !== bseq) return aseq < bseq ? -1 : 1;
  return 0;
}

export function idIsZero(id: StreamID): boolean {
  return id.ms === 0 && id.seq === 0;
}

export function idIsMax(id: StreamID): boolean {
  return id.ms === U64_MAX && id.seq === U64_MAX;
}

/** "<ms>-<seq>" as Redis prints IDs (%U-%U). */
export function formatId(id: StreamID): string {
  return `${id.ms}-${id.seq}`;
}

/** v + 1, or null when v is 2^64 - 1 (the caller wraps). */
export function incrU64(v: U64): U64 | null {
  if (typeof v === "number") return v < SAFE ? v + 1 : 9007199254740992n;
  return v === U64_MAX ? null : v + 1n;
}

export function decrU64(v: U64): U64 {
  if (typeof v === "number") return v - 1;
  return u64(v - 1n);
}

/** streamIncrID: the successor, wrapping to 0-0 after the maximum (then `wrapped` is true). */
export function incrId(id: StreamID): { id: StreamID; wrapped: boolean } {
  const seq = incrU64(id.seq);
  if (seq !== null) return { id: { ms: id.ms, seq }, wrapped: false };
  const ms = incrU64(id.ms);
  if (ms === null) return { id: { ms: 0, seq: 0 }, wrapped: true };
  return { id: { ms, seq: 0 }, wrapped: false };
}

/** streamDecrID: the predecessor, wrapping to the maximum before 0-0 (then `wrapped` is true). */
export function decrId(id: StreamID): { id: StreamID; wrapped: boolean } {
  if (id.seq !== 0) return { id: { ms: id.ms, seq: decrU64(id.seq) }, wrapped: false };
  if (id.ms === 0) return { id: { ms: U64_MAX, seq: U64_MAX }, wrapped: true };
  return { id: { ms: decrU64(id.ms), seq: U64_MAX }, wrapped: false };
}

/** (base + delta) mod 2^64, delta being a signed 64-bit listpack integer (the delta encoding of entries). */
export function addDelta(base: U64, delta: number | bigint): U64 {
  if (typeof base === "number" && typeof delta === "number") {
    const s = base + delta;
    if (s >= 0 && s <= SAFE) return s;
  }
  return u64(BigInt.asUintN(64, BigInt(base) + BigInt(delta)));
}

/** (a - b) as the signed 64-bit integer Redis stores (a uint64 difference cast to int64). */
export function subDelta(a: U64, b: U64): number | bigint {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const d = BigInt.asIntN(64, BigInt(a) - BigInt(b));
  return d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d;
}

/** Writes the ID as 16 bytes big endian (streamEncodeID: the rax key, the RDB PEL form). */
export function encodeId(id: StreamID, out: Buffer, at: number): void {
  writeU64BE(id.ms, out, at);
  writeU64BE(id.seq, out, at + 8);
}

export function writeU64BE(v: U64, out: Buffer, at: number): void {
  if (typeof v === "number") {
    out.writeUInt32BE(Math.floor(v / 4294967296), at);
    out.writeUInt32BE(v >>> 0, at + 4);
  } else {
    out.writeBigUInt64BE(v, at);
  }
}

export function readU64BE(buf: Buffer, at: number): U64 {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  if (hi < 0x200000) return hi * 4294967296 + lo;
  return buf.readBigUInt64BE(at);
}

export function decodeId(buf: Buffer, at: number): StreamID {
  return { ms: readU64BE(buf, at), seq: readU64BE(buf, at + 8) };
}

// ─── parsing (streamGenericParseIDOrReply) ───────────────────────────────────────────────────────────────

const CANONICAL_INT = /^(0|-?[1-9]\d*)$/;

/**
 * Redis's string2ull: a canonical int64 (string2ll) that is not negative, or else whatever strtoull(s, 10)
 * accepts in full: leading white space, a sign ("-" negates modulo 2^64), leading zeros; no overflow.
 */
export function parseU64(s: string): U64 | null {
  if (s.length > 0 && s.length <= 20 && CANONICAL_INT.test(s)) {
    if (s.charCodeAt(0) === 45) {
      // string2ll accepted it: a negative number is refused, unless it overflowed int64 (then strtoull).
      const b = BigInt(s);
      if (b >= -9223372036854775808n) return null;
    } else {
      const n = Number(s);
      if (n <= SAFE) return n;
      const b = BigInt(s);
      if (b <= 9223372036854775807n) return u64(b);
    }
  }
  return strtoull(s);
}

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

function strtoull(s: string): U64 | null {
  let i = 0;
  const n = s.length;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) {
    neg = s.charCodeAt(i) === 45;
    i++;
  }
  const digitsStart = i;
  while (i < n) {
    const ch = s.charCodeAt(i);
    if (ch < 48 || ch > 57) break;
    i++;
  }
  if (i === digitsStart || i !== n) return null;
  let v = BigInt(s.slice(digitsStart, i));
  if (v > U64_MAX) return null;
  if (neg) v = (TWO_64 - v) % TWO_64;
  return u64(v);
}

export interface ParsedId {
  id: StreamID;
  /** False for the "<ms>-*" form (XADD), where the sequence is generated. */
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply without the reply: null when invalid. "-" and "+" are the minimum and the
 * maximum unless `strict`; a missing sequence becomes `missingSeq`; "<ms>-*" is accepted only when
 * `allowSeqStar` (XADD).
 */
export function parseStreamId(
  arg: string,
  missingSeq: U64,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  if (arg.length > 127) return null;
  // Redis copies the argument into a C string: anything after a NUL byte is not seen.
  const nul = arg.indexOf("\0");
  const s = nul >= 0 ? arg.slice(0, nul) : arg;
  if (s === "-" || s === "+") {
    if (strict) return null;
    return { id: s === "-" ? { ms: 0, seq: 0 } : { ms: U64_MAX, seq: U64_MAX }, seqGiven: true };
  }
  const dash = s.indexOf("-");
  const ms = parseU64(dash >= 0 ? s.slice(0, dash) : s);
  if (ms === null) return null;
  if (dash < 0) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const rest = s.slice(dash + 1);
  if (allowSeqStar && rest === "*") return { id: { ms, seq: 0 }, seqGiven: false };
  const seq = parseU64(rest);
  if (seq === null) return null;
  return { id: { ms, seq }, seqGiven: true };
}
