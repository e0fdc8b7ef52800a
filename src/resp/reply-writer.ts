import "./buffer-internals.js";
import { formatDouble17g } from "./format-double.js";

/**
 * The RESP encoder. Replies are appended into a reusable working buffer; `takeChunks()` hands out what was
 * written since the last call as a list of Buffers, ready for one corked socket write. Large bulk payloads
 * become chunks of their own instead of being copied through the working buffer.
 *
 * `proto` (2 or 3) picks the wire form for the types RESP2 lacks: nulls, maps, sets, doubles, booleans,
 * pushes — so handlers write one reply shape and the client's HELLO decides the bytes.
 */

const WORK_SIZE = 16 * 1024;
const BIG_PAYLOAD = 8 * 1024;

const CRLF = "\r\n";
/** Room for a type byte, a 64-bit integer's digits and sign, and CRLF. */
const MAX_HEADER = 24;
/** Strings up to this length are copied byte by byte: cheaper than a native call. */
const SHORT_STRING = 24;
/** deferLength() tokens: chunk index * DEFER_SCALE + offset in the working buffer (< WORK_SIZE). */
const DEFER_SCALE = 65536;

/** "00" to "99": integers are printed two digits per division. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));

/** Writes v (0 ≤ v < 2^31) as decimal digits ending right before `end`. */
function putDigits(b: Buffer, end: number, v: number): void {
  let at = end;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) * 2;
    b[--at] = DIGIT_PAIRS[r + 1];
    b[--at] = DIGIT_PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    b[--at] = DIGIT_PAIRS[v * 2 + 1];
    b[--at] = DIGIT_PAIRS[v * 2];
  } else {
    b[--at] = 48 + v;
  }
}

/** Writes v (0 ≤ v < 10^8) as exactly eight digits at `at`. */
function putPadded8(b: Buffer, at: number, v: number): void {
  for (let i = 6; i >= 0; i -= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) * 2;
    b[at + i] = DIGIT_PAIRS[r];
    b[at + i + 1] = DIGIT_PAIRS[r + 1];
    v = q;
  }
}

/** Number of decimal digits of a non-negative safe integer. */
export function decimalDigits(n: number): number {
  if (n < 1e8) {
    if (n < 1e4) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    return n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : 8;
  }
  let d = 9;
  for (let p = 1e9; n >= p && d < 16; p *= 10) d++;
  return d;
}

export class ReplyWriter {
  proto: 2 | 3 = 2;

  private buf: Buffer = Buffer.allocUnsafe(WORK_SIZE);
  /** bulkIdPair's last first half and its digits. */
  private idCacheValue = -1;
  private idCacheLen = 0;
  private readonly idCache = Buffer.alloc(16);
  private len = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.chunkBytes + this.len;
  }

  /** Returns everything written since the last call, in order, and resets the writer. */
  takeChunks(): Buffer[] {
    if (this.len > 0) this.flushWork();
    const out = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    return out;
  }

  /**
   * Drops what was written after `mark`, an earlier `pendingBytes` (the partial reply of a command that
   * failed with an exception), so the client's stream stays well formed. False when less than `mark` is
   * pending (output was taken in between): nothing is dropped then.
   */
  discardAfter(mark: number): boolean {
    let drop = this.pendingBytes - mark;
    if (drop < 0) return false;
    // The working buffer holds the newest bytes, the chunks the older ones.
    const fromWork = Math.min(drop, this.len);
    this.len -= fromWork;
    drop -= fromWork;
    const chunks = this.chunks;
    while (drop > 0) {
      const last = chunks[chunks.length - 1];
      if (last.length <= drop) {
        chunks.pop();
        this.chunkBytes -= last.length;
        drop -= last.length;
      } else {
        chunks[chunks.length - 1] = last.subarray(0, last.length - drop);
        this.chunkBytes -= drop;
        drop = 0;
      }
    }
    return true;
  }

  /** Length of what the last takeBuffer() handed out. */
  takenLength = 0;

  /**
   * For a reader in this process (a script's redis.call): the bytes written since the last take are
   * `takeBuffer()[0..takenLength)`, valid until the next write, and the writer is reset. No copy when
   * they fit in the working buffer.
   */
  takeBuffer(): Buffer {
    if (this.chunks.length === 0) {
      this.takenLength = this.len;
      this.len = 0;
      return this.buf;
    }
    const all = Buffer.concat(this.takeChunks());
    this.takenLength = all.length;
    return all;
  }

  // ─── raw ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Appends a latin1 string as-is (it must already be valid RESP). */
  raw(s: string): void {
    const n = s.length;
    if (n > BIG_PAYLOAD) {
      this.pushChunk(Buffer.from(s, "latin1"));
      return;
    }
    if (this.len + n > this.buf.length) this.flushWork();
    this.len += this.buf.latin1Write(s, this.len, n);
  }

  /** Appends bytes as-is. */
  rawBuffer(b: Buffer): void {
    if (b.length > BIG_PAYLOAD) {
      this.pushChunk(b);
      return;
    }
    if (this.len + b.length > this.buf.length) this.flushWork();
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  // ─── RESP2 types ────────────────────────────────────────────────────────────────────────────────────────

  simple(s: string): void {
    this.raw("+" + s + CRLF);
  }

  ok(): void {
    this.raw("+OK\r\n");
  }

  /** Error replies written so far (the dispatcher counts failed calls and INFO errorstats with it). */
  errors = 0;
  /** The prefix of the last error reply ("ERR", "WRONGTYPE", ...). */
  lastErrorPrefix = "";

  /** `message` starts with its prefix: "ERR ...", "WRONGTYPE ...". CR/LF are replaced as Redis does. */
  error(message: string): void {
    this.errors++;
    const sp = message.indexOf(" ");
    this.lastErrorPrefix = sp < 0 ? message : message.slice(0, sp);
    const clean =
      message.includes("\r") || message.includes("\n") ? message.replace(/[\r\n]/g, " ") : message;
    this.raw("-" + clean + CRLF);
  }

  integer(n: number | bigint): void {
    if (typeof n === "number" && Number.isSafeInteger(n)) {
      this.room(MAX_HEADER);
      this.buf[this.len++] = 58; // ':'
      this.signedDigits(n);
      this.crlf();
      return;
    }
    this.raw(":" + n + CRLF);
  }

  /** A bulk string from a latin1 string (binary-safe). */
  bulk(s: string): void {
    const n = s.length;
    if (n > BIG_PAYLOAD) {
      this.raw("$" + n + CRLF);
      this.pushChunk(Buffer.from(s, "latin1"));
      this.raw(CRLF);
      return;
    }
    // Header, bytes and CRLF go straight into the working buffer: no concatenated string to build and
    // flatten, and short strings (most keys, fields, members) skip the native write call too.
    let at = this.bulkHeader(n);
    const b = this.buf;
    if (n <= SHORT_STRING) {
      for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
      at += n;
    } else {
      at += b.latin1Write(s, at, n);
    }
    b[at++] = 13;
    b[at++] = 10;
    this.len = at;
  }

  /** `$<n>\r\n` into the working buffer, with room for the n bytes and CRLF after it; the position after it. */
  private bulkHeader(n: number): number {
    this.room(n + MAX_HEADER);
    const b = this.buf;
    b[this.len++] = 36; // '$'
    this.digits(n);
    let at = this.len;
    b[at++] = 13;
    b[at++] = 10;
    return at;
  }

  /** A bulk string of `n` bytes of `src` from `start` (a view into a value's bytes: a listpack, a bitmap). */
  bulkBytes(src: Buffer, start: number, n: number): void {
    if (n > BIG_PAYLOAD) {
      this.raw("$" + n + CRLF);
      this.pushChunk(Buffer.from(src.subarray(start, start + n)));
      this.raw(CRLF);
      return;
    }
    let at = this.bulkHeader(n);
    const b = this.buf;
    if (n <= SHORT_STRING) {
      for (let i = 0; i < n; i++) b[at + i] = src[start + i];
    } else {
      src.copy(b, at, start, start + n);
    }
    at += n;
    b[at++] = 13;
    b[at++] = 10;
    this.len = at;
  }

  /** An integer's decimal text as a bulk string (what Redis replies for an integer-encoded element). */
  bulkInteger(v: number | bigint): void {
    if (typeof v === "number" && Number.isSafeInteger(v)) {
      this.room(2 * MAX_HEADER);
      this.buf[this.len++] = 36; // '$'
      this.digits((v < 0 ? 1 : 0) + decimalDigits(v < 0 ? -v : v));
      this.crlf();
      this.signedDigits(v);
      this.crlf();
      return;
    }
    this.bulk(String(v));
  }

  /**
   * The bulk string "<a>-<b>" of two unsigned 64-bit halves (a stream ID), written without building the
   * text when both are numbers; the rare bigint halves (IDs past 2^53) go through a string.
   */
  bulkIdPair(a: number | bigint, b: number | bigint): void {
    if (typeof a !== "number" || typeof b !== "number") {
      this.bulk(`${a}-${b}`);
      return;
    }
    this.room(3 * MAX_HEADER);
    const buf = this.buf;
    // Entries of a range mostly share their millisecond part: its digits are kept from the last ID.
    const cache = this.idCache;
    if (a !== this.idCacheValue) {
      const start = this.len;
      this.digits(a);
      this.idCacheLen = this.len - start;
      buf.copy(cache, 0, start, this.len);
      this.idCacheValue = a;
      this.len = start;
    }
    const alen = this.idCacheLen;
    buf[this.len++] = 36; // '$'
    this.digits(alen + 1 + decimalDigits(b));
    this.crlf();
    for (let i = 0; i < alen; i++) buf[this.len + i] = cache[i];
    this.len += alen;
    buf[this.len++] = 45; // '-'
    this.digits(b);
    this.crlf();
  }

  bulkBuffer(b: Buffer): void {
    this.raw("$" + b.length + CRLF);
    this.rawBuffer(b);
    this.raw(CRLF);
  }

  /** A bulk string, or the null bulk for undefined/null. */
  bulkOrNull(s: string | null | undefined): void {
    if (s === undefined || s === null) this.nullBulk();
    else this.bulk(s);
  }

  arrayHeader(n: number): void {
    this.room(MAX_HEADER);
    this.buf[this.len++] = 42; // '*'
    this.digits(n);
    this.crlf();
  }

  /** An array of bulk strings. */
  bulkArray(items: readonly string[]): void {
    this.arrayHeader(items.length);
    for (let i = 0; i < items.length; i++) this.bulk(items[i]);
  }

  /** An array whose undefined/null members are null bulks (MGET, HMGET). */
  bulkOrNullArray(items: readonly (string | null | undefined)[]): void {
    this.arrayHeader(items.length);
    for (let i = 0; i < items.length; i++) this.bulkOrNull(items[i]);
  }

  // ─── RESP3-aware types ──────────────────────────────────────────────────────────────────────────────────

  nullBulk(): void {
    this.raw(this.proto === 3 ? "_\r\n" : "$-1\r\n");
  }

  nullArray(): void {
    this.raw(this.proto === 3 ? "_\r\n" : "*-1\r\n");
  }

  /** A map of n pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
  mapHeader(n: number): void {
    this.raw(this.proto === 3 ? "%" + n + CRLF : "*" + 2 * n + CRLF);
  }

  setHeader(n: number): void {
    this.raw(this.proto === 3 ? "~" + n + CRLF : "*" + n + CRLF);
  }

  pushHeader(n: number): void {
    this.raw(this.proto === 3 ? ">" + n + CRLF : "*" + n + CRLF);
  }

  /** A double as Redis 7.0's addReplyDouble: ",%.17g" in RESP3, a bulk string in RESP2. */
  double(d: number): void {
    const s = formatDouble17g(d);
    if (this.proto === 3) this.raw("," + s + CRLF);
    else this.bulk(s);
  }

  bool(b: boolean): void {
    if (this.proto === 3) this.raw(b ? "#t\r\n" : "#f\r\n");
    else this.raw(b ? ":1\r\n" : ":0\r\n");
  }

  /** Text for humans (INFO, CLIENT LIST): a verbatim string in RESP3, a bulk string in RESP2. */
  verbatim(s: string, format = "txt"): void {
    if (this.proto === 3) this.raw("=" + (s.length + 4) + CRLF + format + ":" + s + CRLF);
    else this.bulk(s);
  }

  // ─── deferred lengths (addReplyDeferredLen / setDeferredReplyLen) ─────────────────────────────────────

  /**
   * Marks where an aggregate header goes whose length is only known after its elements are written
   * (Redis's addReplyDeferredLen). Returns a token for setDeferredArray/setDeferredMap. Tokens may nest;
   * they stay valid until takeChunks().
   */
  deferLength(): number {
    return this.chunks.length * DEFER_SCALE + this.len;
  }

  /** Fills a deferred place with an array header of n elements. */
  setDeferredArray(token: number, n: number): void {
    this.fillDeferred(token, "*" + n + CRLF);
  }

  /** Fills a deferred place with a map header of n pairs (`%n`, or `*2n` in RESP2). */
  setDeferredMap(token: number, n: number): void {
    this.fillDeferred(token, this.proto === 3 ? "%" + n + CRLF : "*" + 2 * n + CRLF);
  }

  private fillDeferred(token: number, header: string): void {
    const ci = Math.floor(token / DEFER_SCALE);
    const off = token - ci * DEFER_SCALE;
    const h = header.length;
    if (this.chunks.length === ci) {
      // Everything since the mark is still in the working buffer: move it up and write the header in.
      if (this.len + h <= this.buf.length) {
        this.buf.copy(this.buf, off + h, off, this.len);
        this.buf.latin1Write(header, off, h);
        this.len += h;
        return;
      }
      this.flushWork();
    }
    // The working buffer was flushed since: the chunk at the mark's index starts with the `off` bytes
    // written before the mark. Split it there around the header (views, no copy).
    const first = this.chunks[ci];
    const hb = Buffer.from(header, "latin1");
    if (off === 0) this.chunks.splice(ci, 0, hb);
    else if (off === first.length) this.chunks.splice(ci + 1, 0, hb);
    else this.chunks.splice(ci, 1, first.subarray(0, off), hb, first.subarray(off));
    this.chunkBytes += h;
  }

  // ─── internals ─────────────────────────────────────────────────────────────────────────────────────────

  /** Makes room for `n` more bytes (n ≤ WORK_SIZE) in the working buffer. */
  private room(n: number): void {
    if (this.len + n > this.buf.length) this.flushWork();
  }

  private crlf(): void {
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Writes the decimal digits of a non-negative safe integer (room already made). */
  private digits(n: number): void {
    const b = this.buf;
    if (n < 10) {
      b[this.len++] = 48 + n;
      return;
    }
    if (n >= 1e8) {
      // Split so every division is 32-bit integer arithmetic: a double's n / 10 can round up to the
      // next integer for n near 2^53, which would print a wrong digit.
      const low = n % 1e8;
      this.digits((n - low) / 1e8);
      putPadded8(b, this.len, low);
      this.len += 8;
      return;
    }
    const d = decimalDigits(n);
    putDigits(b, this.len + d, n);
    this.len += d;
  }

  /** digits() for any safe integer, with its sign. */
  private signedDigits(n: number): void {
    if (n < 0) {
      this.buf[this.len++] = 45; // '-'
      this.digits(-n);
    } else {
      this.digits(n);
    }
  }

  private flushWork(): void {
    if (this.len === 0) return;
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.chunks.push(out);
    this.chunkBytes += this.len;
    this.len = 0;
  }

  private pushChunk(b: Buffer): void {
    this.flushWork();
    this.chunks.push(b);
    this.chunkBytes += b.length;
  }
}

/** Encodes a command as a RESP array of bulk strings (latin1 arguments), as clients and replication send. */
export function encodeCommand(args: readonly string[]): Buffer {
  let dataBytes = 0;
  for (let i = 0; i < args.length; i++) dataBytes += args[i].length;
  if (dataBytes < BIG_COMMAND) return Buffer.from(encodeCommandString(args), "latin1");
  // A large argument is written straight into the result: concatenating it into one string first would
  // make V8 flatten (copy) it before the copy into the Buffer.
  let headers = "*" + args.length + CRLF;
  let total = headers.length + dataBytes;
  for (let i = 0; i < args.length; i++) total += String(args[i].length).length + 5; // $<len>\r\n … \r\n
  const out = Buffer.allocUnsafe(total);
  let at = out.latin1Write(headers, 0, headers.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    headers = "$" + a.length + CRLF;
    at += out.latin1Write(headers, at, headers.length);
    at += out.latin1Write(a, at, a.length);
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/** Commands whose arguments add up to this many bytes are encoded piece by piece (encodeCommand). */
export const BIG_COMMAND = 64 * 1024;

/** The same as a latin1 string (its length is its byte length). */
export function encodeCommandString(args: readonly string[]): string {
  let s = "*" + args.length + CRLF;
  for (let i = 0; i < args.length; i++) s += "$" + args[i].length + CRLF + args[i] + CRLF;
  return s;
}
