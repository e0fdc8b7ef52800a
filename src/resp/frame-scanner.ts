import { constants } from "node:buffer";
import { ProtocolError } from "./protocol-error.js";
import { parseLength, RespByte } from "./resp-bytes.js";
import { PROTO_DEFAULT_MAX_BULK_LEN, PROTO_MBULK_MAX_LEN } from "./resp-limits.js";

/**
 * Finds where a RESP2/RESP3 frame ends without allocating or decoding it. The proxy's hot path uses it
 * (through its FrameCutter, which resumes it across chunks) to cut client requests and backend replies into
 * frames and forward the original bytes; tests use `scanFrame` to split reply streams.
 *
 * Nested aggregates are handled with a counter of values still expected, not recursion: an array of n
 * adds n, a map of n adds 2n, an attribute adds 2n and still expects the value it decorates. That counter
 * and the position are all the state needed to resume a scan later.
 */

export const INCOMPLETE = -1;

/** Where an incomplete scan stopped: resume at `stopPos` with `stopExpected` values to go, once the
 * buffer holds at least `stopNeed` bytes (an exact figure inside a bulk payload, a lower bound elsewhere). */
export interface ScanStop {
  stopPos: number;
  stopExpected: number;
  stopNeed: number;
}

function badLength(): never {
  throw new ProtocolError("BAD_INTEGER", "Protocol error: invalid length in frame");
}

/** The longest bulk a reply may announce: what one Buffer can hold (the frame is kept whole). */
const MAX_REPLY_BULK = constants.MAX_LENGTH - 64;

function stop(state: ScanStop, pos: number, expected: number, need: number): number {
  state.stopPos = pos;
  state.stopExpected = expected;
  state.stopNeed = need;
  return INCOMPLETE;
}

/**
 * Walks values in buf[pos, end) with `expected` values still to go. Returns the offset just past the last
 * one, or INCOMPLETE with `state` telling where to resume. With `requestStart` ≥ 0 the frame is a client
 * request: only the array at `requestStart` and bulk strings are allowed, as Redis reads commands.
 */
export function scanValues(
  buf: Buffer,
  pos: number,
  expected: number,
  end: number,
  state: ScanStop,
  requestStart = -1,
): number {
  while (expected > 0) {
    if (pos >= end) return stop(state, pos, expected, end + 1);
    const type = buf[pos];
    if (
      requestStart >= 0 &&
      type !== RespByte.BULK_STRING &&
      (type !== RespByte.ARRAY || pos !== requestStart)
    ) {
      throw new ProtocolError(
        "EXPECTED_DOLLAR",
        `Protocol error: expected '$', got '${String.fromCharCode(type)}'`,
      );
    }
    let nl = buf.indexOf(RespByte.CR, pos + 1);
    if (nl >= end) nl = -1;
    if (nl < 0 || nl + 1 >= end) return stop(state, pos, expected, end + 1);
    switch (type) {
      case RespByte.SIMPLE_STRING:
      case RespByte.ERROR:
      case RespByte.INTEGER:
      case RespByte.NULL:
      case RespByte.DOUBLE:
      case RespByte.BOOLEAN:
      case RespByte.BIG_NUMBER:
        pos = nl + 2;
        expected--;
        break;
      case RespByte.BULK_STRING:
      case RespByte.BULK_ERROR:
      case RespByte.VERBATIM_STRING: {
        const len = parseLength(buf, pos + 1, nl);
        if (len < -1) badLength();
        // Requests get Redis's limits (proto-max-bulk-len at its default: the backend may allow more, the
        // proxy does not buffer more); a reply may announce no more than a Buffer holds.
        if (requestStart >= 0 ? len > PROTO_DEFAULT_MAX_BULK_LEN : len > MAX_REPLY_BULK) {
          throw new ProtocolError("INVALID_BULK_LENGTH", "Protocol error: invalid bulk length");
        }
        if (len === -1) {
          pos = nl + 2;
        } else {
          const after = nl + 2 + len + 2;
          if (after > end) return stop(state, pos, expected, after);
          pos = after;
        }
        expected--;
        break;
      }
      case RespByte.ARRAY:
      case RespByte.SET:
      case RespByte.PUSH: {
        const n = parseLength(buf, pos + 1, nl);
        if (n < -1) badLength();
        if (requestStart >= 0 && n > PROTO_MBULK_MAX_LEN) {
          throw new ProtocolError("INVALID_MULTIBULK_LENGTH", "Protocol error: invalid multibulk length");
        }
        pos = nl + 2;
        expected += n > 0 ? n - 1 : -1;
        break;
      }
      case RespByte.MAP: {
        const n = parseLength(buf, pos + 1, nl);
        if (n < -1) badLength();
        pos = nl + 2;
        expected += n > 0 ? 2 * n - 1 : -1;
        break;
      }
      case RespByte.ATTRIBUTE: {
        // its pairs, then the value it decorates
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

const scratch: ScanStop = { stopPos: 0, stopExpected: 0, stopNeed: 0 };

/**
 * Returns the offset just past the frame that starts at `start`, or INCOMPLETE when buf[start, end) holds
 * only part of it. Throws ProtocolError on a byte that starts no RESP type.
 */
export function scanFrame(buf: Buffer, start: number, end: number): number {
  return scanValues(buf, start, 1, end, scratch);
}
