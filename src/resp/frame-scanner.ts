import { ProtocolError } from "./protocol-error.js";
import { parseLength } from "./request-parser.js";

/**
 * Finds where one RESP2/RESP3 frame ends without allocating or decoding it: the proxy's hot path uses it
 * to cut client requests and backend replies into frames and forward the original bytes.
 *
 * Nested aggregates are handled with a counter of values still expected, not recursion: an array of n
 * adds n, a map of n adds 2n, an attribute adds 2n and still expects the value it decorates.
 */

export const INCOMPLETE = -1;

const CR = 13;

function lineEnd(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(CR, from);
  return i < 0 || i + 1 >= end ? INCOMPLETE : i;
}

function badLength(): never {
  throw new ProtocolError("BAD_INTEGER", "Protocol error: invalid length in frame");
}

/**
 * Returns the offset just past the frame that starts at `start`, or INCOMPLETE when buf[start, end) holds
 * only part of it. Throws ProtocolError on a byte that starts no RESP type.
 */
export function scanFrame(buf: Buffer, start: number, end: number): number {
  let pos = start;
  let expected = 1;
  while (expected > 0) {
    if (pos >= end) return INCOMPLETE;
    const type = buf[pos];
    const nl = lineEnd(buf, pos + 1, end);
    if (nl === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case 43: // + simple string
      case 45: // - error
      case 58: // : integer
      case 95: // _ null
      case 44: // , double
      case 35: // # boolean
      case 40: // ( big number
        pos = nl + 2;
        expected--;
        break;
      case 36: // $ bulk string
      case 33: // ! bulk error
      case 61: {
        // = verbatim string
        const len = parseLength(buf, pos + 1, nl);
        if (len < -1) badLength();
        if (len === -1) {
          pos = nl + 2;
        } else {
          const after = nl + 2 + len + 2;
          if (after > end) return INCOMPLETE;
          pos = after;
        }
        expected--;
        break;
      }
      case 42: // * array
      case 126: // ~ set
      case 62: {
        // > push
        const n = parseLength(buf, pos + 1, nl);
        if (n < -1) badLength();
        pos = nl + 2;
        expected += n > 0 ? n - 1 : -1;
        break;
      }
      case 37: {
        // % map
        const n = parseLength(buf, pos + 1, nl);
        if (n < -1) badLength();
        pos = nl + 2;
        expected += n > 0 ? 2 * n - 1 : -1;
        break;
      }
      case 124: {
        // | attribute: its pairs, then the value it belongs to
        const n = parseLength(buf, pos + 1, nl);
        if (n < 0) badLength();
        pos = nl + 2;
        expected += 2 * n;
        break;
      }
      default:
        throw new ProtocolError("UNKNOWN_TYPE", `Protocol error: unknown RESP type byte ${type}`);
    }
  }
  return pos;
}
