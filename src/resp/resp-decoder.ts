import { INCOMPLETE, scanFrame } from "./frame-scanner.js";
import { ProtocolError } from "./protocol-error.js";
import { BAD_LENGTH, parseLength, RespByte } from "./resp-bytes.js";
import { RespErrorReply, RespPush, type RespValue, RespVerbatim } from "./resp-value.js";

/**
 * A streaming RESP2/RESP3 decoder that resumes across chunks: `feed` bytes, `next()` returns each complete
 * value in order (or `undefined` until one is complete). Simple strings decode to string, bulk strings to
 * Buffer, errors to RespErrorReply (returned, not thrown), integers to number (bigint beyond 2^53), nulls
 * to null, arrays to arrays, RESP3 maps to Map, sets to Set, pushes to RespPush. Attributes are skipped.
 */
export class RespDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  feed(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /** Bytes fed but not yet returned as values. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** Removes and returns up to `n` raw bytes not yet decoded (for protocols that switch to raw payloads). */
  takeRaw(n: number): Buffer {
    const end = Math.min(this.buf.length, this.pos + n);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  next(): RespValue | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const end = scanFrame(this.buf, this.pos, this.buf.length);
    if (end === INCOMPLETE) return undefined;
    const cursor = { pos: this.pos };
    const value = decodeValue(this.buf, cursor);
    this.pos = end;
    return value;
  }

  /** Decodes every value in `data`; throws if anything is left over. */
  static decodeAll(data: Buffer): RespValue[] {
    const d = new RespDecoder();
    d.feed(data);
    const out: RespValue[] = [];
    for (let v = d.next(); v !== undefined; v = d.next()) out.push(v);
    if (d.buffered !== 0) throw new ProtocolError("BAD_TERMINATOR", "Protocol error: trailing partial frame");
    return out;
  }
}

/** An integer too long for a double (or malformed): a bigint, or a ProtocolError, never a SyntaxError. */
function parseBigInteger(text: string): bigint {
  if (!/^[-+]?\d+$/.test(text)) {
    throw new ProtocolError("BAD_INTEGER", "Protocol error: invalid integer in frame");
  }
  return BigInt(text);
}

interface Cursor {
  pos: number;
}

/** Decodes one complete frame (scanFrame has already checked it is whole). */
function decodeValue(buf: Buffer, c: Cursor): RespValue {
  for (;;) {
    const type = buf[c.pos];
    const nl = buf.indexOf(RespByte.CR, c.pos + 1);
    const lineStart = c.pos + 1;
    c.pos = nl + 2;
    switch (type) {
      case RespByte.SIMPLE_STRING:
        return buf.toString("latin1", lineStart, nl);
      case RespByte.ERROR:
        return new RespErrorReply(buf.toString("latin1", lineStart, nl));
      case RespByte.INTEGER: {
        const n = parseLength(buf, lineStart, nl);
        if (n !== BAD_LENGTH) return n;
        return parseBigInteger(buf.toString("latin1", lineStart, nl));
      }
      case RespByte.NULL:
        return null;
      case RespByte.DOUBLE: {
        const s = buf.toString("latin1", lineStart, nl);
        return s === "inf" ? Infinity : s === "-inf" ? -Infinity : s === "nan" ? Number.NaN : Number(s);
      }
      case RespByte.BOOLEAN:
        return buf[lineStart] === 116; // 't'
      case RespByte.BIG_NUMBER:
        return parseBigInteger(buf.toString("latin1", lineStart, nl));
      case RespByte.BULK_STRING:
      case RespByte.BULK_ERROR:
      case RespByte.VERBATIM_STRING: {
        const len = parseLength(buf, lineStart, nl);
        if (len === -1) return null;
        const data = Buffer.from(buf.subarray(c.pos, c.pos + len));
        c.pos += len + 2;
        if (type === RespByte.BULK_ERROR) return new RespErrorReply(data.toString("latin1"));
        if (type === RespByte.VERBATIM_STRING)
          return new RespVerbatim(data.toString("latin1", 0, 3), data.subarray(4));
        return data;
      }
      case RespByte.ARRAY:
      case RespByte.SET:
      case RespByte.PUSH: {
        const n = parseLength(buf, lineStart, nl);
        if (n === -1) return null;
        const items: RespValue[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = decodeValue(buf, c);
        if (type === RespByte.SET) return new Set(items);
        if (type === RespByte.PUSH) return new RespPush(items);
        return items;
      }
      case RespByte.MAP: {
        const n = parseLength(buf, lineStart, nl);
        const m = new Map<RespValue, RespValue>();
        for (let i = 0; i < n; i++) {
          const k = decodeValue(buf, c);
          m.set(k, decodeValue(buf, c));
        }
        return m;
      }
      case RespByte.ATTRIBUTE: {
        const n = parseLength(buf, lineStart, nl);
        for (let i = 0; i < 2 * n; i++) decodeValue(buf, c);
        continue; // the attributed value follows
      }
      default:
        throw new ProtocolError("UNKNOWN_TYPE", `Protocol error: unknown RESP type byte ${type}`);
    }
  }
}
