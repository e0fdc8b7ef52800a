import { parseLength, RespByte } from "../resp/resp-bytes.js";
import { RespDecoder } from "../resp/resp-decoder.js";
import type { RespValue } from "../resp/resp-value.js";

/**
 * One reply as `tandem cli` prints it: the value from the project's RespDecoder plus what the decoded value
 * cannot tell apart. The decoder turns `:5` and `,5` into the same number and `(123` into a bigint like a
 * large `:` integer, and a double's text is gone; redis-cli prints integers, doubles (the server's text as
 * sent) and big numbers differently. So the frame's headers are walked once more, in the same order as the
 * decoded value is (depth first, a map's key before its value), and every numeric scalar's type byte and
 * text is kept in `numbers`. The printer takes them in that order whenever it meets a number or bigint.
 */
export interface NumericScalar {
  /** ":" integer, "," double, "(" big number. */
  readonly type: ":" | "," | "(";
  /** The line as the server sent it. */
  readonly text: string;
}

export interface CliReply {
  readonly value: RespValue;
  readonly numbers: readonly NumericScalar[];
}

/** Decodes one complete frame (as scanFrame cut it) into a CliReply. */
export function cliReply(frame: Buffer): CliReply {
  const [value] = RespDecoder.decodeAll(frame);
  const numbers: NumericScalar[] = [];
  walkHeaders(frame, 0, numbers);
  return { value, numbers };
}

/** Walks one value's headers from `pos` (the frame is complete); returns the position after it. */
function walkHeaders(buf: Buffer, pos: number, out: NumericScalar[]): number {
  for (;;) {
    const type = buf[pos];
    const nl = buf.indexOf(RespByte.CR, pos + 1);
    const line = buf.toString("latin1", pos + 1, nl);
    let next = nl + 2;
    switch (type) {
      case RespByte.INTEGER:
      case RespByte.DOUBLE:
      case RespByte.BIG_NUMBER:
        out.push({ type: String.fromCharCode(type) as NumericScalar["type"], text: line });
        return next;
      case RespByte.BULK_STRING:
      case RespByte.BULK_ERROR:
      case RespByte.VERBATIM_STRING: {
        const len = parseLength(buf, pos + 1, nl);
        return len < 0 ? next : next + len + 2;
      }
      case RespByte.ARRAY:
      case RespByte.SET:
      case RespByte.PUSH: {
        const n = parseLength(buf, pos + 1, nl);
        for (let i = 0; i < n; i++) next = walkHeaders(buf, next, out);
        return next;
      }
      case RespByte.MAP: {
        const n = parseLength(buf, pos + 1, nl);
        for (let i = 0; i < 2 * n; i++) next = walkHeaders(buf, next, out);
        return next;
      }
      case RespByte.ATTRIBUTE: {
        // the decoder drops it, so its numbers are not collected; the value follows.
        const n = parseLength(buf, pos + 1, nl);
        for (let i = 0; i < 2 * n; i++) next = walkHeaders(buf, next, []);
        pos = next;
        continue;
      }
      default:
        return next;
    }
  }
}
