import { canonicalInt, canonicalSmallInt } from "./canonical-int.js";

/**
 * Redis's listpack format (listpack.c), as a growable buffer a stream node appends to in place: the bytes
 * are exactly what Redis keeps in memory and writes to an RDB, so a node is saved as it is and a node
 * loaded from redis-server's RDB is used as it is.
 *
 * Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), elements, 0xFF. An element is its
 * encoding (7-bit uint, 13/16/24/32/64-bit int, 6/12/32-bit-length string) followed by its "backlen", the
 * encoded length written backwards so the list can be walked from the end.
 *
 * Offsets handed around are byte positions of an element's first byte inside `buf`.
 */

export const LP_HDR_SIZE = 6;
export const LP_EOF = 0xff;
const NUMELE_UNKNOWN = 65535;

export class Listpack {
  /** Capacity may exceed `size`; bytes past `size` are garbage. */
  buf: Buffer;
  /** Total bytes in use, header and terminator included (also stored in the header). */
  size: number;

  constructor(buf: Buffer, size: number) {
    this.buf = buf;
    this.size = size;
  }

  /** An empty listpack with room for `capacity` bytes. */
  static create(capacity: number): Listpack {
    const buf = Buffer.allocUnsafeSlow(Math.max(capacity, 16));
    buf.writeUInt32LE(7, 0);
    buf.writeUInt16LE(0, 4);
    buf[6] = LP_EOF;
    return new Listpack(buf, 7);
  }

  /** Wraps a listpack's bytes (a copy of them: the source may be a shared chunk). */
  static fromBytes(bytes: Buffer): Listpack {
    const buf = Buffer.allocUnsafeSlow(bytes.length);
    bytes.copy(buf);
    return new Listpack(buf, bytes.length);
  }

  /** The listpack's bytes (a view, valid until the next change). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  /** Drops spare capacity (lpShrinkToFit), for nodes that will not be appended to any more. */
  shrinkToFit(): void {
    if (this.buf.length === this.size) return;
    const b = Buffer.allocUnsafeSlow(this.size);
    this.buf.copy(b, 0, 0, this.size);
    this.buf = b;
  }

  get first(): number {
    return this.buf[LP_HDR_SIZE] === LP_EOF ? -1 : LP_HDR_SIZE;
  }

  /** Offset of the element after the one at `p` (it may be the terminator: check `isEnd`). */
  next(p: number): number {
    const l = encodedLen(this.buf, p);
    return p + l + backlenSize(l);
  }

  isEnd(p: number): boolean {
    return this.buf[p] === LP_EOF;
  }

  /** Offset of the last element, or -1 when empty. */
  last(): number {
    const end = this.size - 1; // the terminator
    if (end === LP_HDR_SIZE) return -1;
    return this.prev(end);
  }

  /** Offset of the element before the one (or the terminator) at `p`. */
  prev(p: number): number {
    // Decode the backlen ending right before p: its last byte holds the low 7 bits.
    const b = this.buf;
    let q = p - 1;
    let v = 0;
    let shift = 0;
    for (;;) {
      const byte = b[q];
      v += (byte & 127) * 2 ** shift;
      if (!(byte & 128)) break;
      shift += 7;
      q--;
    }
    return q - v;
  }

  /** The element at `p` as an integer (string elements are parsed as Redis's lpGetInteger does). */
  getInt(p: number): number | bigint {
    const b = this.buf;
    const c = b[p];
    if (c < 0x80) return c;
    if ((c & 0xe0) === 0xc0) {
      const v = ((c & 0x1f) << 8) | b[p + 1];
      return v >= 4096 ? v - 8192 : v;
    }
    switch (c) {
      case 0xf1:
        return b.readInt16LE(p + 1);
      case 0xf2:
        return b.readIntLE(p + 1, 3);
      case 0xf3:
        return b.readInt32LE(p + 1);
      case 0xf4: {
        const v = b.readBigInt64LE(p + 1);
        return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      }
    }
    const s = this.getString(p);
    const v = canonicalInt(s);
    if (v === null) throw new Error("stream listpack holds a non-integer where an integer is expected");
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  /** getInt for fields known to be small (counts, flags). */
  getSmall(p: number): number {
    const v = this.getInt(p);
    return typeof v === "number" ? v : Number(v);
  }

  /** The element at `p` as a latin1 string (integers as their decimal text, as lpGet). */
  getString(p: number): string {
    const b = this.buf;
    const c = b[p];
    if ((c & 0xc0) === 0x80) {
      const n = c & 0x3f;
      return b.latin1Slice(p + 1, p + 1 + n);
    }
    if ((c & 0xf0) === 0xe0) {
      const n = ((c & 0x0f) << 8) | b[p + 1];
      return b.latin1Slice(p + 2, p + 2 + n);
    }
    if (c === 0xf0) {
      const n = b.readUInt32LE(p + 1);
      return b.latin1Slice(p + 5, p + 5 + n);
    }
    return String(this.getInt(p));
  }

  /**
   * Where the bytes of the string element at `p` start, or -1 for an integer element; with
   * stringLength(p) this lets a reply copy the bytes without making a string.
   */
  stringStart(p: number): number {
    const c = this.buf[p];
    if ((c & 0xc0) === 0x80) return p + 1;
    if ((c & 0xf0) === 0xe0) return p + 2;
    if (c === 0xf0) return p + 5;
    return -1;
  }

  /** Byte length of the string element at `p` (or of an integer's decimal text). */
  stringLength(p: number): number {
    const b = this.buf;
    const c = b[p];
    if ((c & 0xc0) === 0x80) return c & 0x3f;
    if ((c & 0xf0) === 0xe0) return ((c & 0x0f) << 8) | b[p + 1];
    if (c === 0xf0) return b.readUInt32LE(p + 1);
    return String(this.getInt(p)).length;
  }

  // ─── appending ───────────────────────────────────────────────────────────────────────────────────────

  private ensure(extra: number): void {
    const need = this.size + extra;
    if (need <= this.buf.length) return;
    const b = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(b, 0, 0, this.size);
    this.buf = b;
  }

  private appended(): void {
    this.buf[this.size - 1] = LP_EOF;
    this.buf.writeUInt32LE(this.size, 0);
    const n = this.buf.readUInt16LE(4);
    if (n < NUMELE_UNKNOWN) this.buf.writeUInt16LE(n + 1, 4);
  }

  /** lpAppendInteger. */
  appendInt(v: number | bigint): void {
    this.ensure(14);
    const at = this.size - 1;
    const l = writeInt(this.buf, at, v);
    const bl = writeBacklen(this.buf, at + l, l);
    this.size += l + bl;
    this.appended();
  }

  /** lpAppend: a string that is a canonical int64 is stored as an integer, as Redis does. */
  appendString(s: string): void {
    if (s.length <= 11) {
      const small = canonicalSmallInt(s);
      if (small !== null) {
        this.appendInt(small);
        return;
      }
    } else if (s.length <= 20) {
      const big = canonicalInt(s);
      if (big !== null) {
        this.appendInt(big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big);
        return;
      }
    }
    const len = s.length;
    this.ensure(len + 10);
    const b = this.buf;
    let at = this.size - 1;
    const start = at;
    if (len < 64) {
      b[at++] = 0x80 | len;
    } else if (len < 4096) {
      b[at++] = 0xe0 | (len >>> 8);
      b[at++] = len & 0xff;
    } else {
      b[at++] = 0xf0;
      b.writeUInt32LE(len, at);
      at += 4;
    }
    if (len <= 16) {
      for (let i = 0; i < len; i++) b[at + i] = s.charCodeAt(i);
      at += len;
    } else {
      at += b.latin1Write(s, at, len);
    }
    const l = at - start;
    const bl = writeBacklen(b, at, l);
    this.size += l + bl;
    this.appended();
  }

  /**
   * lpReplaceInteger: the element at `p` becomes the integer `v`. Returns how many bytes later elements
   * moved (positive when it grew), so callers holding offsets past `p` can adjust them.
   */
  replaceInt(p: number, v: number | bigint): number {
    const oldL = encodedLen(this.buf, p);
    const oldTotal = oldL + backlenSize(oldL);
    const tmp = scratch;
    const l = writeInt(tmp, 0, v);
    const bl = writeBacklen(tmp, l, l);
    const newTotal = l + bl;
    const delta = newTotal - oldTotal;
    if (delta === 0) {
      // A counter rewritten in place (a node's entry count on every XADD): a few bytes, copied by hand.
      const b = this.buf;
      for (let i = 0; i < newTotal; i++) b[p + i] = tmp[i];
      return 0;
    }
    const tailFrom = p + oldTotal;
    if (delta > 0) {
      this.ensure(delta);
    }
    this.buf.copy(this.buf, tailFrom + delta, tailFrom, this.size);
    tmp.copy(this.buf, p, 0, newTotal);
    this.size += delta;
    this.buf.writeUInt32LE(this.size, 0);
    return delta;
  }
}

const scratch = Buffer.allocUnsafe(32);

/** Bytes of an element's encoding and payload (without the backlen). */
export function encodedLen(b: Buffer, p: number): number {
  const c = b[p];
  if (c < 0x80) return 1;
  if ((c & 0xc0) === 0x80) return 1 + (c & 0x3f);
  if ((c & 0xe0) === 0xc0) return 2;
  if ((c & 0xf0) === 0xe0) return 2 + (((c & 0x0f) << 8) | b[p + 1]);
  switch (c) {
    case 0xf0:
      return 5 + b.readUInt32LE(p + 1);
    case 0xf1:
      return 3;
    case 0xf2:
      return 4;
    case 0xf3:
      return 5;
    case 0xf4:
      return 9;
  }
  throw new Error(`invalid listpack encoding byte 0x${c.toString(16)}`);
}

export function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Size of an element holding the string `s` as lpAppend would store it (encoding + backlen). */
export function elementSize(s: string): number {
  if (s.length <= 20) {
    const v = canonicalInt(s);
    if (v !== null) {
      const l = intEncodedLen(v);
      return l + backlenSize(l);
    }
  }
  const len = s.length;
  const l = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return l + backlenSize(l);
}

function intEncodedLen(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function writeInt(b: Buffer, at: number, v: number | bigint): number {
  if (typeof v === "bigint") {
    if (v >= -2147483648n && v <= 2147483647n) return writeInt(b, at, Number(v));
    b[at] = 0xf4;
    b.writeBigInt64LE(v, at + 1);
    return 9;
  }
  if (v >= 0 && v <= 127) {
    b[at] = v;
    return 1;
  }
  if (v >= -4096 && v <= 4095) {
    const u = v < 0 ? 8192 + v : v;
    b[at] = 0xc0 | (u >>> 8);
    b[at + 1] = u & 0xff;
    return 2;
  }
  if (v >= -32768 && v <= 32767) {
    b[at] = 0xf1;
    b.writeInt16LE(v, at + 1);
    return 3;
  }
  if (v >= -8388608 && v <= 8388607) {
    b[at] = 0xf2;
    b.writeIntLE(v, at + 1, 3);
    return 4;
  }
  if (v >= -2147483648 && v <= 2147483647) {
    b[at] = 0xf3;
    b.writeInt32LE(v, at + 1);
    return 5;
  }
  b[at] = 0xf4;
  b.writeBigInt64LE(BigInt(v), at + 1);
  return 9;
}

/** lpEncodeBacklen: the element length, written so it can be read from its last byte backwards. */
function writeBacklen(b: Buffer, at: number, l: number): number {
  if (l <= 127) {
    b[at] = l;
    return 1;
  }
  if (l < 16383) {
    b[at] = l >>> 7;
    b[at + 1] = (l & 127) | 128;
    return 2;
  }
  if (l < 2097151) {
    b[at] = l >>> 14;
    b[at + 1] = ((l >>> 7) & 127) | 128;
    b[at + 2] = (l & 127) | 128;
    return 3;
  }
  if (l < 268435455) {
    b[at] = l >>> 21;
    b[at + 1] = ((l >>> 14) & 127) | 128;
    b[at + 2] = ((l >>> 7) & 127) | 128;
    b[at + 3] = (l & 127) | 128;
    return 4;
  }
  b[at] = Math.floor(l / 2 ** 28);
  b[at + 1] = ((l >>> 21) & 127) | 128;
  b[at + 2] = ((l >>> 14) & 127) | 128;
  b[at + 3] = ((l >>> 7) & 127) | 128;
  b[at + 4] = (l & 127) | 128;
  return 5;
}

/**
 * Checks a listpack's framing (lpValidateIntegrity, shallow plus element walk): header size matches,
 * every element is well formed and ends inside the buffer, the terminator is last. Returns the element
 * offsets, or null when malformed.
 */
export function validateListpack(b: Buffer): number[] | null {
  if (b.length < 7 || b.readUInt32LE(0) !== b.length || b[b.length - 1] !== LP_EOF) return null;
  const out: number[] = [];
  let p = LP_HDR_SIZE;
  while (p < b.length - 1) {
    const c = b[p];
    if (c === LP_EOF) return null;
    if (c >= 0xf5 && c !== LP_EOF) return null;
    if (((c & 0xe0) === 0xc0 || (c & 0xf0) === 0xe0) && p + 1 >= b.length) return null;
    if (c === 0xf0 && p + 5 > b.length) return null;
    const l = encodedLen(b, p);
    const next = p + l + backlenSize(l);
    if (next > b.length - 1) return null;
    out.push(p);
    p = next;
  }
  return p === b.length - 1 ? out : null;
}
