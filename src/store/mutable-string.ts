import { constants as bufferConstants } from "node:buffer";
import { DETACHED, type MemoryAccount, OBJECT_BASE } from "./memory-model.js";

/**
 * A string value held as bytes that commands may change in place: what SETBIT, SETRANGE, BITFIELD and
 * PFADD leave behind in the keyspace, so that flipping one bit of a 1 MB bitmap or one register of a
 * dense HyperLogLog costs O(1) instead of rebuilding an immutable JS string (Redis's sds, edited in
 * place by the same commands).
 *
 * It is a representation, not a type: it is a Redis string in every respect. Only the byte-level
 * commands see it (Database.lookupRawRead/lookupRawWrite); every other lookup turns it back into a
 * latin1 JS string first and stores that string in its place (Database.lookupKeyRead/lookupKeyWrite), so
 * the rest of the server keeps seeing plain strings. Values shorter than MUTABLE_STRING_MIN are not
 * worth a Buffer (their fixed cost would dominate): the byte commands edit them in a shared scratch
 * object and store a JS string again (see `MutableString.writable` and `commit`).
 *
 * Bytes from `length` up to the buffer's capacity are spare room (sds's alloc - len); they are not part
 * of the value and are zeroed again whenever the value grows over them.
 */
export class MutableString {
  /** Size estimate (memory-model.ts): the object and its buffer's capacity, reported to `acct` on growth. */
  bytes: number;
  acct: MemoryAccount = DETACHED;

  constructor(
    public buf: Buffer,
    public length: number,
  ) {
    this.bytes = OBJECT_BASE + buf.length;
  }

  /** A new buffer of another capacity: the size estimate follows. */
  private setBuffer(next: Buffer): void {
    const d = next.length - this.buf.length;
    this.buf = next;
    this.bytes += d;
    this.acct.bytes += d;
  }

  /** A copy of `s` as bytes, with room for `capacity` bytes (at least its length). */
  static from(s: string, capacity = s.length): MutableString {
    const buf = Buffer.alloc(Math.max(capacity, s.length));
    buf.latin1Write(s, 0, s.length);
    return new MutableString(buf, s.length);
  }

  /** The value as a latin1 JS string. */
  toString(): string {
    return this.buf.latin1Slice(0, this.length);
  }

  /** Makes room for at least `n` bytes, growing as sdsMakeRoomFor does (double, or +1 MB past 1 MB). */
  reserve(n: number): void {
    if (n <= this.buf.length) return;
    let cap = n < GREEDY_LIMIT ? n * 2 : n + GREEDY_LIMIT;
    if (cap > MAX_LENGTH) cap = Math.max(n, MAX_LENGTH);
    const next = Buffer.alloc(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.setBuffer(next);
  }

  /** Extends the value with zero bytes to `n` bytes when shorter (sdsgrowzero). */
  growZero(n: number): void {
    if (n <= this.length) return;
    this.reserve(n);
    this.buf.fill(0, this.length, n);
    this.length = n;
  }

  /** Writes latin1 `s` at `offset`, zero-padding the gap and growing the value as needed. */
  write(offset: number, s: string): void {
    this.growZero(offset + s.length);
    this.buf.latin1Write(s, offset, s.length);
  }

  /** Appends latin1 `s`. */
  append(s: string): void {
    const at = this.length;
    this.reserve(at + s.length);
    this.buf.latin1Write(s, at, s.length);
    this.length = at + s.length;
  }

  /** Replaces the contents with `s` padded with zeros to `minLength` (the scratch object's reuse). */
  load(s: string, minLength: number): void {
    const n = Math.max(s.length, minLength);
    if (n > this.buf.length) this.setBuffer(Buffer.alloc(n < GREEDY_LIMIT ? Math.max(n * 2, 256) : n));
    this.buf.latin1Write(s, 0, s.length);
    if (n > s.length) this.buf.fill(0, s.length, n);
    this.length = n;
  }
}

/** Below this length a value is edited as a JS string (through the scratch object) rather than kept as bytes. */
export const MUTABLE_STRING_MIN = 1024;

/** sds's SDS_MAX_PREALLOC. */
const GREEDY_LIMIT = 1024 * 1024;

/** A value must stay convertible back to a JS string. */
const MAX_LENGTH = bufferConstants.MAX_STRING_LENGTH;
