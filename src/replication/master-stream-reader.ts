import "../resp/buffer-internals.js";
import { ProtocolError } from "../resp/protocol-error.js";

/**
 * Cuts the master's replication stream into commands, reporting each command's exact size in bytes: the
 * replica's offset must advance by the bytes of the commands it has applied (not the bytes it has read),
 * and those same bytes are what it proxies verbatim to its own replicas and backlog.
 *
 * The stream is RESP multibulk; a bare newline (a keepalive) is a command of zero arguments that still
 * counts in the offset.
 */

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

export class MasterStreamReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Byte range of the last command returned by `next`, in `lastFrame()`. */
  private frameStart = 0;
  private frameEnd = 0;

  /** Bytes received and not yet returned as commands. */
  get pendingBytes(): number {
    return this.buf.length - this.pos;
  }

  /** Forgets buffered bytes (the link was lost: the master resends from our offset). */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.pos = 0;
  }

  feed(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /**
   * The next complete command (an empty array for a keepalive newline), or null when more bytes are
   * needed. Throws ProtocolError on bytes that are not a command.
   */
  next(): string[] | null {
    const buf = this.buf;
    const end = buf.length;
    const start = this.pos;
    if (start >= end) return null;
    if (buf[start] !== STAR) return this.inline(start);
    const nl = buf.indexOf(CR, start + 1);
    if (nl < 0 || nl + 1 >= end) return null;
    const count = parseLen(buf, start + 1, nl);
    let pos = nl + 2;
    const argv: string[] = new Array(Math.max(0, count));
    for (let i = 0; i < count; i++) {
      if (pos >= end) return null;
      if (buf[pos] !== DOLLAR)
        throw new ProtocolError("EXPECTED_DOLLAR", "expected '$' in the master's stream");
      const lnl = buf.indexOf(CR, pos + 1);
      if (lnl < 0 || lnl + 1 >= end) return null;
      const len = parseLen(buf, pos + 1, lnl);
      const dataStart = lnl + 2;
      if (dataStart + len + 2 > end) return null;
      argv[i] = buf.latin1Slice(dataStart, dataStart + len);
      pos = dataStart + len + 2;
    }
    this.frameStart = start;
    this.frameEnd = pos;
    this.pos = pos;
    return argv;
  }

  /** The bytes of the command `next` returned last (a view: copy it if kept past the next `feed`). */
  lastFrame(): Buffer {
    return this.buf.subarray(this.frameStart, this.frameEnd);
  }

  get lastFrameSize(): number {
    return this.frameEnd - this.frameStart;
  }

  private inline(start: number): string[] | null {
    const nl = this.buf.indexOf(LF, start);
    if (nl < 0) return null;
    let lineEnd = nl;
    if (lineEnd > start && this.buf[lineEnd - 1] === CR) lineEnd--;
    const line = this.buf.latin1Slice(start, lineEnd).trim();
    this.frameStart = start;
    this.frameEnd = nl + 1;
    this.pos = nl + 1;
    return line === "" ? [] : line.split(/\s+/);
  }
}

function parseLen(buf: Buffer, from: number, to: number): number {
  let n = 0;
  if (from >= to) throw new ProtocolError("BAD_INTEGER", "empty length in the master's stream");
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      if (i === from && buf[i] === 45) return -1; // "*-1" / "$-1"
      throw new ProtocolError("BAD_INTEGER", "invalid length in the master's stream");
    }
    n = n * 10 + d;
  }
  return n;
}
