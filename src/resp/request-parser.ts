import "./buffer-internals.js";
import { ProtocolError } from "./protocol-error.js";
import { BAD_LENGTH, parseLength, RespByte } from "./resp-bytes.js";
import { PROTO_DEFAULT_MAX_BULK_LEN, PROTO_INLINE_MAX_SIZE, PROTO_MBULK_MAX_LEN } from "./resp-limits.js";

/**
 * The server's request reader: turns a client's byte stream into commands (argv arrays of latin1 strings),
 * RESP multibulk or inline, exactly as Redis's networking.c reads a query buffer.
 *
 * - Resumable across chunks. An incomplete command is kept, and when its missing length is known (inside a
 *   bulk) nothing is re-scanned until enough bytes have arrived, so a large value costs one copy, not n².
 * - Stoppable: the sink's `onCommand` returns false to stop (client blocked, closing); `resume` continues.
 * - Limits and errors as Redis: `-ERR Protocol error: ...`; after one the parser stays failed.
 */

export interface RequestSink {
  /** Called with each complete command; return false to stop reading until `resume`. */
  onCommand(argv: string[]): boolean;
}

/** How a parser reads: a client's (Redis's limits) or the master link's (Redis exempts the master). */
export interface RequestParserOptions {
  /**
   * Deliver empty commands (a bare newline, `*0`) as an empty argv instead of skipping them. The master
   * link needs them: a keepalive newline still counts in the replication offset.
   */
  deliverEmpty?: boolean;
  /** Largest multibulk count accepted (default Redis's 1M for clients). */
  maxMultibulkLen?: number;
}

const EMPTY_ARGV: string[] = [];

// ─── the parser ─────────────────────────────────────────────────────────────────────────────────────────

export class RequestParser {
  /** `proto-max-bulk-len`; CONFIG SET may change it. */
  maxBulkLen = PROTO_DEFAULT_MAX_BULK_LEN;
  private readonly maxMultibulkLen: number;
  private readonly deliverEmpty: boolean;
  /** Set once a protocol error is raised; further input is ignored. */
  failed = false;

  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes that must be pending before a parse can make progress (0: try at once). */
  private need = 0;

  // Result of parseOne, kept in fields so the hot loop allocates nothing but argv itself.
  private argv: string[] | null = null;
  private next = 0;
  /** The bytes of the command being delivered, for `lastFrame` (valid only inside `onCommand`). */
  private frameBuf: Buffer | null = null;
  private frameStart = 0;
  private frameEnd = 0;

  constructor(options: RequestParserOptions = {}) {
    this.deliverEmpty = options.deliverEmpty ?? false;
    this.maxMultibulkLen = options.maxMultibulkLen ?? PROTO_MBULK_MAX_LEN;
  }

  /**
   * The exact bytes of the command `onCommand` is being called with (a view into the parser's buffer:
   * copy it to keep it past the call). The master link forwards them verbatim and counts them in its
   * offset, as Redis's replica does with the master client's query buffer.
   */
  lastFrame(): Buffer {
    return (this.frameBuf as Buffer).subarray(this.frameStart, this.frameEnd);
  }

  /** Bytes received but not yet turned into commands (Redis's `qbuf`). */
  get bufferedBytes(): number {
    return this.pendingLen;
  }

  /** Appends a chunk and delivers every complete command. Throws ProtocolError on bad input. */
  feed(chunk: Buffer, sink: RequestSink): void {
    if (this.failed) return;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    if (this.pendingLen < this.need) return;
    this.run(sink);
  }

  /** Buffers a chunk without parsing it (the reader is stopped; `resume` parses it later). */
  append(chunk: Buffer): void {
    if (this.failed) return;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
  }

  /** Continues after `onCommand` returned false. */
  resume(sink: RequestSink): void {
    if (this.failed || this.pendingLen === 0) return;
    this.run(sink);
  }

  private run(sink: RequestSink): void {
    const pending = this.pending;
    const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, this.pendingLen);
    const end = buf.length;
    let pos = 0;
    let keepGoing = true;
    this.frameBuf = buf;
    try {
      while (pos < end && keepGoing) {
        const first = buf[pos];
        const got =
          first === RespByte.ARRAY ? this.parseMultibulk(buf, pos, end) : this.parseInline(buf, pos, end);
        if (!got) break;
        this.frameStart = pos;
        pos = this.next;
        const argv = this.argv;
        this.argv = null;
        this.frameEnd = pos;
        if (argv !== null) keepGoing = sink.onCommand(argv);
        else if (this.deliverEmpty) keepGoing = sink.onCommand(EMPTY_ARGV);
      }
    } catch (err) {
      this.failed = true;
      this.pending = [];
      this.pendingLen = 0;
      throw err;
    } finally {
      this.frameBuf = null; // do not keep a large chunk alive through the view
    }
    if (pos >= end) {
      this.pending = [];
      this.pendingLen = 0;
      this.need = 0;
    } else {
      const rest = pos === 0 ? buf : buf.subarray(pos);
      this.pending = [rest];
      this.pendingLen = rest.length;
      if (!keepGoing) this.need = 0;
    }
  }

  // ─── multibulk: *<n>\r\n then n × $<len>\r\n<bytes>\r\n ────────────────────────────────────────────────

  private parseMultibulk(buf: Buffer, start: number, end: number): boolean {
    const nl = indexOfCR(buf, start + 1, end);
    if (nl < 0) {
      if (end - start > PROTO_INLINE_MAX_SIZE) {
        throw new ProtocolError("TOO_BIG_MBULK_COUNT", "Protocol error: too big mbulk count string");
      }
      this.need = 0;
      return false;
    }
    if (nl + 1 >= end) {
      this.need = nl + 2 - start;
      return false;
    }
    const count = parseLength(buf, start + 1, nl);
    if (count === BAD_LENGTH || count > this.maxMultibulkLen) {
      throw new ProtocolError("INVALID_MULTIBULK_LENGTH", "Protocol error: invalid multibulk length");
    }
    let pos = nl + 2;
    if (count <= 0) {
      // Redis skips empty multibulks silently.
      this.argv = null;
      this.next = pos;
      return true;
    }
    const argv: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      if (pos >= end) {
        this.need = 0;
        return false;
      }
      if (buf[pos] !== RespByte.BULK_STRING) {
        throw new ProtocolError(
          "EXPECTED_DOLLAR",
          `Protocol error: expected '$', got '${String.fromCharCode(buf[pos])}'`,
        );
      }
      const lnl = indexOfCR(buf, pos + 1, end);
      if (lnl < 0) {
        if (end - pos > PROTO_INLINE_MAX_SIZE) {
          throw new ProtocolError("TOO_BIG_BULK_COUNT", "Protocol error: too big bulk count string");
        }
        this.need = 0;
        return false;
      }
      const len = parseLength(buf, pos + 1, lnl);
      if (len === BAD_LENGTH || len < 0 || len > this.maxBulkLen) {
        throw new ProtocolError("INVALID_BULK_LENGTH", "Protocol error: invalid bulk length");
      }
      const dataStart = lnl + 2;
      const dataEnd = dataStart + len;
      if (dataEnd + 2 > end) {
        // The exact size of the rest is known up to this argument: wait for at least that much.
        this.need = dataEnd + 2 - start;
        return false;
      }
      argv[i] = buf.latin1Slice(dataStart, dataEnd);
      pos = dataEnd + 2; // like Redis, the two bytes after the data are not checked
    }
    this.argv = argv;
    this.next = pos;
    this.need = 0;
    return true;
  }

  // ─── inline: one line of space-separated, optionally quoted arguments ─────────────────────────────────

  private parseInline(buf: Buffer, start: number, end: number): boolean {
    let nl = buf.indexOf(RespByte.LF, start);
    if (nl < 0 || nl >= end) {
      if (end - start > PROTO_INLINE_MAX_SIZE) {
        throw new ProtocolError("TOO_BIG_INLINE", "Protocol error: too big inline request");
      }
      this.need = 0;
      return false;
    }
    this.next = nl + 1;
    if (nl > start && buf[nl - 1] === RespByte.CR) nl--;
    const args = splitArgs(buf.latin1Slice(start, nl));
    if (args === null)
      throw new ProtocolError("UNBALANCED_QUOTES", "Protocol error: unbalanced quotes in request");
    this.argv = args.length === 0 ? null : args;
    this.need = 0;
    return true;
  }
}

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

function indexOfCR(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(RespByte.CR, from);
  return i < 0 || i >= end ? -1 : i;
}

function hexDigit(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";
}

/**
 * Splits a line into arguments with the rules of Redis's sdssplitargs: "double quotes" with \n \r \t \b \a
 * \\ \" and \xHH escapes, 'single quotes' with \', and a closing quote must be followed by a space or the
 * end. Returns null for unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let inDq = false;
    let inSq = false;
    let cur = "";
    let done = false;
    while (!done) {
      if (inDq) {
        if (i >= n) return null;
        const c = line[i];
        if (
          c === "\\" &&
          i + 3 < n &&
          line[i + 1] === "x" &&
          hexDigit(line[i + 2]) >= 0 &&
          hexDigit(line[i + 3]) >= 0
        ) {
          cur += String.fromCharCode(hexDigit(line[i + 2]) * 16 + hexDigit(line[i + 3]));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          cur +=
            e === "n"
              ? "\n"
              : e === "r"
                ? "\r"
                : e === "t"
                  ? "\t"
                  : e === "b"
                    ? "\b"
                    : e === "a"
                      ? "\x07"
                      : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === "\\" && i + 1 < n && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        const c = line[i];
        if (isSpace(c)) {
          done = true;
        } else if (c === '"') {
          inDq = true;
        } else if (c === "'") {
          inSq = true;
        } else {
          cur += c;
        }
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}
