import { isSharedReadBuffer } from "../net/direct-reads.js";
import { splitArgs } from "../resp/request-parser.js";
import { parseLength, RespByte } from "../resp/resp-bytes.js";

/**
 * Decoding just enough of a client's request frame (RESP multibulk or inline): the command name on the
 * hot path, the whole argv for the few commands the proxy interprets itself.
 */

/** The command name of a request frame; null for an empty inline line or `*0` / `*-1` (Redis skips them). */
export function commandName(buf: Buffer, start: number, end: number): string | null {
  if (buf[start] === RespByte.ARRAY) {
    let p = buf.indexOf(RespByte.CR, start);
    if (p - start < 2 || buf[start + 1] === 45 || (p - start === 2 && buf[start + 1] === 48)) return null;
    p += 2; // past "*<n>\r\n"
    if (p >= end || buf[p] !== RespByte.BULK_STRING) return "";
    const nl = buf.indexOf(RespByte.CR, p);
    const from = nl + 2;
    return buf.latin1Slice(from, from + parseLength(buf, p + 1, nl));
  }
  const line = buf.latin1Slice(start, end).trim();
  if (line === "") return null;
  const sp = line.search(/\s/);
  return sp < 0 ? line : line.slice(0, sp);
}

/** The whole argv of a request (latin1). */
export function argvOf(buf: Buffer, start: number, end: number): string[] {
  if (buf[start] !== RespByte.ARRAY) return splitArgs(buf.latin1Slice(start, end).trim()) ?? [];
  const out: string[] = [];
  let p = buf.indexOf(RespByte.CR, start);
  const n = parseLength(buf, start + 1, p);
  p += 2;
  for (let k = 0; k < n && p < end; k++) {
    const nl = buf.indexOf(RespByte.CR, p);
    const len = parseLength(buf, p + 1, nl);
    out.push(buf.latin1Slice(nl + 2, nl + 2 + len));
    p = nl + 2 + len + 2;
  }
  return out;
}

/** buf[start, end) as a buffer that outlives the read callback (a copy if it is in the shared buffer). */
export function keep(buf: Buffer, start: number, end: number): Buffer {
  if (!isSharedReadBuffer(buf)) return buf.subarray(start, end);
  const copy = Buffer.allocUnsafe(end - start);
  buf.copy(copy, 0, start, end);
  return copy;
}
