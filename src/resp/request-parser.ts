import "./buffer-internals.js";
import { ProtocolError } from "./protocol-error.js";
import { BAD_LENGTH, parseLength, RespByte } from "./resp-bytes.js";
import { PROTO_DEFAULT_MAX_BULK_LEN, PROTO_INLINE_MAX_SIZE, PROTO_MBULK_MAX_LEN } from "./resp-limits.js";

/**
 * The server's request reader: turns a client's byte stream into commands (argv arrays of latin1 strings),
 * RESP multibulk or inline, exactly as Redis's networking.c reads a query buffer. The master link reads
 * the replication stream with it too.
 *
 * - Zero-copy when a chunk holds whole commands (the usual case): they are parsed straight out of it.
 * - Resumable across chunks without rescanning: an incomplete command's bytes are copied once into an
 *   accumulation buffer that grows by doubling, and parsing resumes at the argument it stopped at (with the
 *   arguments already read kept), so a 100 MB value or a million-argument MSET costs one pass, not n².
 *   Inside a bulk the exact byte count still needed is known and nothing is retried before it arrives.
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
  /**
   * Redis's authRequired(c): while true, multibulks of more than 10 arguments and bulks over 16 KiB are
   * refused ("unauthenticated multibulk/bulk length"), so an unauthenticated peer cannot make the server
   * buffer much. Asked only for commands that large.
   */
  authRequired?: () => boolean;
}

const EMPTY_ARGV: string[] = [];
/** Redis's limits while authentication is required (networking.c). */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;
/** argv arrays are preallocated up to this many elements (Redis caps argv_len the same way). */
const ARGV_PREALLOC = 1024;
const MIN_ACC = 16 * 1024;
/**
 * A bulk at least this large gets a buffer of its exact announced size once its `$<len>` line has arrived
 * (Redis's PROTO_MBULK_BIG_ARG), so a 256 MB value is copied into place once instead of through a dozen
 * doublings. Unauthenticated clients never get here (UNAUTH_MAX_BULK), and an unused reservation costs address
 * space, not memory: large buffers come from the OS page by page as they are written.
 */
const BIG_ARG = 32 * 1024;
/** Room kept after a big bulk that is not its command's last argument (`SET k <value> EX 60`). */
const BIG_ARG_TAIL = 1024;
const NEVER = () => false;

// ─── the parser ─────────────────────────────────────────────────────────────────────────────────────────

export class RequestParser {
  /** `proto-max-bulk-len`; CONFIG SET may change it. */
  maxBulkLen = PROTO_DEFAULT_MAX_BULK_LEN;
  private readonly deliverEmpty: boolean;
  private readonly authRequired: () => boolean;
  /** Set once a protocol error is raised; further input is ignored. */
  failed = false;

  /**
   * Bytes kept across chunks: acc[accStart, accLen) is unparsed input (null when nothing is kept). It only
   * ever holds the tail that did not make a whole command, plus what arrived after it.
   */
  private acc: Buffer | null = null;
  private accStart = 0;
  private accLen = 0;
  /** accLen must reach this before a parse can make progress (0: try at once). */
  private need = 0;

  // A multibulk cut off between arguments: what was read of it, positions absolute in `acc`.
  private mbArgv: string[] | null = null;
  private mbCount = 0;
  private mbIndex = 0;
  private mbPos = 0;

  // Result of a parse, kept in fields so the hot loop allocates nothing but argv itself.
  private argv: string[] | null = null;
  /** The previous command's name: a pipeline repeats it, and the same string keeps its cached hash. */
  private lastName = "";
  private next = 0;
  /** The bytes of the command being delivered, for `lastFrame` (valid only inside `onCommand`). */
  private frameBuf: Buffer | null = null;
  private frameStart = 0;
  private frameEnd = 0;

  constructor(options: RequestParserOptions = {}) {
    this.deliverEmpty = options.deliverEmpty ?? false;
    this.authRequired = options.authRequired ?? NEVER;
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
    return this.accLen - this.accStart;
  }

  /** Room left in the buffer that holds them (Redis's `qbuf-free`). */
  get freeBytes(): number {
    return this.acc === null ? 0 : this.acc.length - this.accLen;
  }

  /**
   * Delivers every complete command in chunk[0, length). Throws ProtocolError on bad input. The chunk is
   * not kept: what is left over is copied, so the caller may reuse it (a shared read buffer).
   */
  feed(chunk: Buffer, sink: RequestSink, length: number = chunk.length): void {
    if (this.failed) return;
    if (this.acc === null) {
      this.run(chunk, 0, length, sink);
      return;
    }
    this.append(chunk, length);
    if (this.accLen < this.need) return;
    this.run(this.acc, this.accStart, this.accLen, sink);
  }

  /** Buffers chunk[0, length) without parsing it (the reader is stopped; `resume` parses it later). */
  append(chunk: Buffer, length: number = chunk.length): void {
    if (this.failed || length === 0) return;
    const acc = this.acc;
    if (acc === null) {
      this.acc = Buffer.allocUnsafe(Math.max(MIN_ACC, length));
      chunk.copy(this.acc, 0, 0, length);
      this.accStart = 0;
      this.accLen = length;
      return;
    }
    if (this.accLen + length > acc.length) this.regrow(length);
    chunk.copy(this.acc as Buffer, this.accLen, 0, length);
    this.accLen += length;
  }

  /** Continues after `onCommand` returned false. */
  resume(sink: RequestSink): void {
    if (this.failed || this.acc === null) return;
    this.run(this.acc, this.accStart, this.accLen, sink);
  }

  /**
   * Makes room for `more` bytes: the live part moves to the start of a buffer at least twice its size
   * (a new one: frames handed out earlier may still be read). Positions into acc are rebased.
   */
  private regrow(more: number): void {
    const acc = this.acc as Buffer;
    const live = this.accLen - this.accStart;
    const next = Buffer.allocUnsafe(this.capacityFor(live + more, this.need - this.accStart));
    acc.copy(next, 0, this.accStart, this.accLen);
    this.rebase(this.accStart);
    this.acc = next;
    this.accStart = 0;
    this.accLen = live;
  }

  /**
   * A buffer size for `size` bytes: twice that (amortized doubling), but never more than a command known to
   * need `needed` bytes in all takes; the exact size when that is a big bulk still to come (BIG_ARG).
   */
  private capacityFor(size: number, needed: number): number {
    if (needed - size >= BIG_ARG) {
      // Waiting for a big bulk: exactly what the command needs up to its end (plus a little when more
      // arguments follow it).
      return this.mbArgv !== null && this.mbIndex < this.mbCount - 1 ? needed + BIG_ARG_TAIL : needed;
    }
    const doubled = Math.max(MIN_ACC, 2 * size);
    return needed >= size && needed < doubled ? needed : doubled;
  }

  private rebase(shift: number): void {
    if (this.need > 0) this.need -= shift;
    if (this.mbArgv !== null) this.mbPos -= shift;
  }

  private run(buf: Buffer, from: number, end: number, sink: RequestSink): void {
    let pos = from;
    let keepGoing = true;
    this.frameBuf = buf;
    try {
      while (pos < end && keepGoing) {
        const got =
          this.mbArgv !== null || buf[pos] === RespByte.ARRAY
            ? this.parseMultibulk(buf, pos, end)
            : this.parseInline(buf, pos, end);
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
      this.acc = null;
      this.accStart = this.accLen = this.need = 0;
      this.mbArgv = null;
      throw err;
    } finally {
      this.frameBuf = null; // do not keep a large chunk alive through the view
    }
    if (!keepGoing) this.need = 0;
    this.keep(buf, pos, end);
  }

  /** After a run: keeps buf[pos, end) (the unparsed rest) for the next one. */
  private keep(buf: Buffer, pos: number, end: number): void {
    if (pos >= end) {
      this.acc = null;
      this.accStart = this.accLen = this.need = 0;
      return;
    }
    if (buf === this.acc) {
      this.accStart = pos;
      return;
    }
    // The rest of a chunk: copied (the chunk may be reused by its owner), positions rebased to 0.
    const rest = end - pos;
    const acc = Buffer.allocUnsafe(this.capacityFor(rest, this.need - pos));
    buf.copy(acc, 0, pos, end);
    this.rebase(pos);
    this.acc = acc;
    this.accStart = 0;
    this.accLen = rest;
  }

  // ─── multibulk: *<n>\r\n then n × $<len>\r\n<bytes>\r\n ────────────────────────────────────────────────

  /**
   * Parses the multibulk at `start` (or continues the one cut off earlier). On success sets argv/next;
   * when incomplete, saves where it stopped and how many bytes must be there to go on.
   */
  private parseMultibulk(buf: Buffer, start: number, end: number): boolean {
    let argv: string[];
    let count: number;
    let i: number;
    let pos: number;
    if (this.mbArgv !== null) {
      argv = this.mbArgv;
      count = this.mbCount;
      i = this.mbIndex;
      pos = this.mbPos;
    } else {
      const nl = indexOfCR(buf, start + 1, end);
      if (nl < 0) {
        if (end - start > PROTO_INLINE_MAX_SIZE) {
          throw new ProtocolError("TOO_BIG_MBULK_COUNT", "Protocol error: too big mbulk count string");
        }
        this.need = 0;
        return false;
      }
      if (nl + 1 >= end) {
        this.need = nl + 2;
        return false;
      }
      count = parseLength(buf, start + 1, nl);
      if (count === BAD_LENGTH || count > PROTO_MBULK_MAX_LEN) {
        throw new ProtocolError("INVALID_MULTIBULK_LENGTH", "Protocol error: invalid multibulk length");
      }
      if (count > UNAUTH_MAX_MULTIBULK && this.authRequired()) {
        throw new ProtocolError(
          "UNAUTHENTICATED_MULTIBULK_LENGTH",
          "Protocol error: unauthenticated multibulk length",
        );
      }
      pos = nl + 2;
      if (count <= 0) {
        // Redis skips empty multibulks silently.
        this.argv = null;
        this.next = pos;
        return true;
      }
      argv = count <= ARGV_PREALLOC ? new Array(count) : [];
      i = 0;
    }
    for (; i < count; i++) {
      if (pos >= end) return this.stopAt(argv, count, i, pos, pos + 1);
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
        return this.stopAt(argv, count, i, pos, 0);
      }
      const len = parseLength(buf, pos + 1, lnl);
      if (len === BAD_LENGTH || len < 0 || len > this.maxBulkLen) {
        throw new ProtocolError("INVALID_BULK_LENGTH", "Protocol error: invalid bulk length");
      }
      if (len > UNAUTH_MAX_BULK && this.authRequired()) {
        throw new ProtocolError("UNAUTHENTICATED_BULK_LENGTH", "Protocol error: unauthenticated bulk length");
      }
      const dataStart = lnl + 2;
      const dataEnd = dataStart + len;
      // The exact size of the rest is known up to this argument: wait for at least that much.
      if (dataEnd + 2 > end) return this.stopAt(argv, count, i, pos, dataEnd + 2);
      argv[i] = i === 0 ? this.commandName(buf, dataStart, dataEnd) : buf.latin1Slice(dataStart, dataEnd);
      pos = dataEnd + 2; // like Redis, the two bytes after the data are not checked
    }
    this.mbArgv = null;
    this.argv = argv;
    this.next = pos;
    this.need = 0;
    return true;
  }

  /**
   * argv[0]: the previous command's name string again when the bytes are the same (no new string, and the
   * command table's Map lookup finds its hash already computed), else a new one.
   */
  private commandName(buf: Buffer, start: number, end: number): string {
    const last = this.lastName;
    const n = end - start;
    if (n === last.length) {
      let i = 0;
      while (i < n && buf[start + i] === last.charCodeAt(i)) i++;
      if (i === n) return last;
    }
    const name = buf.latin1Slice(start, end);
    if (n <= 32) this.lastName = name;
    return name;
  }

  /** Saves a multibulk cut off at argument `i` (header at `pos`); `need` is an absolute position. */
  private stopAt(argv: string[], count: number, i: number, pos: number, need: number): false {
    this.mbArgv = argv;
    this.mbCount = count;
    this.mbIndex = i;
    this.mbPos = pos;
    this.need = need;
    return false;
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
