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

export class ReplyWriter {
  proto: 2 | 3 = 2;

  private buf: Buffer = Buffer.allocUnsafe(WORK_SIZE);
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
    this.raw("$" + n + CRLF + s + CRLF);
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
    this.raw("*" + n + CRLF);
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

  // ─── internals ─────────────────────────────────────────────────────────────────────────────────────────

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
