import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { RespErrorReply, type RespValue } from "../../src/resp/resp-value.js";

/**
 * Stream replies that carry clock readings (XPENDING's idle times, XINFO CONSUMERS' idle, XINFO STREAM
 * FULL's seen-time and delivery times) differ between two servers by the milliseconds between their
 * answers. `maskStreamTimes` turns a raw RESP2/RESP3 reply into text where exactly those fields read
 * "<t>", everything else intact, so the rest is compared byte for byte.
 */

const ID = /^\d+-\d+$/;

const isBuf = (v: RespValue): v is Buffer => Buffer.isBuffer(v);
const isNum = (v: RespValue): boolean => typeof v === "number" || typeof v === "bigint";

interface MaskOptions {
  /** Leave PEL delivery times as they are (they replicate exactly; only consumers' seen-times differ). */
  keepDeliveryTimes?: boolean;
}

function mask(v: RespValue, o: MaskOptions = {}): unknown {
  const m = (x: RespValue) => mask(x, o);
  if (v instanceof RespErrorReply) return `-${v.message}`;
  if (v instanceof Map) {
    const out: [unknown, unknown][] = [];
    for (const [k, val] of v) {
      const name = isBuf(k) ? k.toString("latin1") : String(k);
      out.push([m(k), name === "idle" || name === "seen-time" ? "<t>" : m(val)]);
    }
    return { map: out };
  }
  if (!Array.isArray(v)) {
    if (isBuf(v)) return v.toString("latin1");
    if (typeof v === "bigint") return `${v}n`;
    return v;
  }
  // A PEL row: [id, consumer, idle-or-delivery-time, count] or, in a consumer's list, [id, time, count].
  if (!o.keepDeliveryTimes && v.length >= 3 && isBuf(v[0]) && ID.test(v[0].toString("latin1"))) {
    if (v.length === 4 && isBuf(v[1]) && isNum(v[2]) && isNum(v[3]))
      return [m(v[0]), m(v[1]), "<t>", m(v[3])];
    if (v.length === 3 && isNum(v[1]) && isNum(v[2])) return [m(v[0]), "<t>", m(v[2])];
  }
  const out = v.map((x) => m(x));
  // RESP2 maps are flat arrays: mask the value after an "idle" or "seen-time" name.
  for (let i = 0; i + 1 < v.length; i++) {
    const k = v[i];
    if (isBuf(k)) {
      const name = k.toString("latin1");
      if ((name === "idle" || name === "seen-time") && isNum(v[i + 1])) out[i + 1] = "<t>";
    }
  }
  return out;
}

export function maskStreamTimes(frame: Buffer, opts: MaskOptions = {}): string {
  const type = String.fromCharCode(frame[0]);
  const decoded = RespDecoder.decodeAll(frame)[0];
  return type + JSON.stringify(mask(decoded, opts));
}

/**
 * Everything a server holds for the stream at `key` (entries, counters, node layout, groups, PELs with
 * delivery times and counts, consumers), as text comparable between a master and its replica or between
 * two servers that loaded the same file: only the consumers' seen-times are masked.
 */
export async function streamState(
  c: { raw(...args: (string | number)[]): Promise<Buffer> },
  key: string,
): Promise<string> {
  return maskStreamTimes(await c.raw("XINFO", "STREAM", key, "FULL", "COUNT", 0), {
    keepDeliveryTimes: true,
  });
}
