import { INCOMPLETE, type ScanStop, scanValues } from "../resp/frame-scanner.js";
import { ProtocolError } from "../resp/protocol-error.js";
import { RespByte } from "../resp/resp-bytes.js";
import { PROTO_INLINE_MAX_SIZE } from "../resp/resp-limits.js";

/**
 * Cuts a byte stream into whole RESP frames and hands each one on as (buffer, start, end) — the original
 * bytes, never decoded. Used both ways: client requests (optionally inline commands) and backend replies.
 *
 * Hot path: when nothing is left over from the previous chunk, frames are cut straight out of the chunk
 * (no copy). Only an incomplete tail is copied into an accumulation buffer that grows by doubling, and the
 * scan resumes where it stopped (element position + values still expected), so a 100 MB value arriving in
 * 64 KB chunks costs one copy and one scan, not n². Inside a bulk payload the exact byte count still
 * needed is known, and nothing is rescanned before it has arrived.
 *
 * Frames handed out may point into the accumulation buffer; that buffer is never overwritten below its
 * fill mark, and compaction always moves the tail to a NEW buffer, so handed-out frames stay valid.
 */

export interface FrameSink {
  onFrame(buf: Buffer, start: number, end: number): void;
}

const MIN_ACC = 16 * 1024;

export class FrameCutter implements ScanStop {
  private acc: Buffer | null = null;
  private accLen = 0;
  /** Resume point of the incomplete frame at acc[0]: next element header and values still expected. */
  private resumePos = 0;
  private resumeExpected = 1;
  /** acc must hold at least this many bytes before scanning again. */
  private need = 0;
  // Results of scan() (the ScanStop the shared scanner fills), in fields so the hot loop allocates nothing.
  stopPos = 0;
  stopExpected = 1;
  stopNeed = 0;

  /** Start of the frame being scanned (request mode checks that only the top level is an array). */
  private frameStart = 0;

  /** `requests`: client input — inline commands allowed, and a multibulk may hold only bulk strings. */
  constructor(private readonly requests: boolean) {}

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.accLen;
  }

  /** Forgets any partial frame (connection reset). */
  reset(): void {
    this.acc = null;
    this.accLen = 0;
    this.need = 0;
    this.resumePos = 0;
    this.resumeExpected = 1;
  }

  /**
   * Delivers every complete frame in chunk[0, length) (plus what was left over). Throws ProtocolError on
   * garbage. Frames may point into `chunk`; an incomplete tail is copied, so `chunk` may be reused after.
   */
  feed(chunk: Buffer, sink: FrameSink, length: number = chunk.length): void {
    let buf: Buffer;
    let end: number;
    let pos = 0;
    let resumeAt = -1;
    let resumeExpected = 1;
    if (this.accLen === 0) {
      buf = chunk;
      end = length;
    } else {
      this.append(chunk, length);
      if (this.accLen < this.need) return;
      buf = this.acc as Buffer;
      end = this.accLen;
      resumeAt = this.resumePos;
      resumeExpected = this.resumeExpected;
    }
    while (pos < end) {
      // Resuming mid-frame continues the walk; resuming at a frame's first byte is a fresh scan (inline too).
      const mid = resumeAt > 0 || (resumeAt === 0 && resumeExpected !== 1);
      if (mid) this.frameStart = 0;
      const frameEnd = mid ? this.scan(buf, resumeAt, resumeExpected, end) : this.scanFrom(buf, pos, end);
      resumeAt = -1;
      if (frameEnd === INCOMPLETE) {
        this.keepTail(buf, pos, end);
        return;
      }
      if (frameEnd > pos) sink.onFrame(buf, pos, frameEnd);
      pos = frameEnd;
    }
    this.acc = null;
    this.accLen = 0;
    this.need = 0;
  }

  // ─── accumulation ───────────────────────────────────────────────────────────────────────────────────────

  private append(chunk: Buffer, length: number): void {
    const acc = this.acc as Buffer;
    const needed = this.accLen + length;
    if (needed <= acc.length) {
      chunk.copy(acc, this.accLen, 0, length);
    } else {
      const bigger = Buffer.allocUnsafe(Math.max(needed, acc.length * 2, this.need));
      acc.copy(bigger, 0, 0, this.accLen);
      chunk.copy(bigger, this.accLen, 0, length);
      this.acc = bigger;
    }
    this.accLen = needed;
  }

  /** Keeps buf[from, end) — the start of an incomplete frame — in a fresh buffer, with the scan state. */
  private keepTail(buf: Buffer, from: number, end: number): void {
    const len = end - from;
    if (buf === this.acc && from === 0) {
      // Still the same frame: keep growing this buffer (copying it again here would make big arrays n²).
      this.resumePos = this.stopPos;
      this.resumeExpected = this.stopExpected;
      this.need = this.stopNeed;
      return;
    }
    const fresh = Buffer.allocUnsafe(Math.max(MIN_ACC, len * 2, this.stopNeed - from));
    buf.copy(fresh, 0, from, end);
    this.acc = fresh;
    this.accLen = len;
    this.resumePos = this.stopPos - from;
    this.resumeExpected = this.stopExpected;
    this.need = this.stopNeed - from;
  }

  // ─── scanning ───────────────────────────────────────────────────────────────────────────────────────────

  private scanFrom(buf: Buffer, start: number, end: number): number {
    if (this.requests && buf[start] !== RespByte.ARRAY) return this.scanInline(buf, start, end);
    this.frameStart = start;
    return this.scan(buf, start, 1, end);
  }

  private scanInline(buf: Buffer, start: number, end: number): number {
    const nl = buf.indexOf(RespByte.LF, start);
    if (nl < 0 || nl >= end) {
      if (end - start > PROTO_INLINE_MAX_SIZE)
        throw new ProtocolError("TOO_BIG_INLINE", "Protocol error: too big inline request");
      this.stopPos = start;
      this.stopExpected = 1;
      this.stopNeed = end + 1;
      return INCOMPLETE;
    }
    return nl + 1;
  }

  /**
   * Walks values from `pos` with `expected` values still to go (the shared resumable scanner); returns the
   * end of the frame, or INCOMPLETE with stopPos/stopExpected (where to resume) and stopNeed set.
   */
  private scan(buf: Buffer, pos: number, expected: number, end: number): number {
    return scanValues(buf, pos, expected, end, this, this.requests ? this.frameStart : -1);
  }
}
