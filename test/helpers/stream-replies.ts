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

function mask(v: RespValue): unknown {
  if (v instanceof RespErrorReply) return `-${v.message}`;
  if (v instanceof Map) {
    const out: [unknown, unknown][] = [];
    for (const [k, val] of v) {
      const name = isBuf(k) ? k.toString("latin1") : String(k);
      out.push([mask(k), name === "idle" || name === "seen-time" ? "<t>" : mask(val)]);
    }
    return { map: out };
  }
  if (!Array.isArray(v)) {
    if (isBuf(v)) return v.toString("latin1");
    if (typeof v === "bigint") return `${v}n`;
    return v;
  }
  // A PEL row: [id, consumer, idle-or-delivery-time, count] or, in a consumer's list, [id, time, count].
  if (
    v.length === 4 &&
    isBuf(v[0]) &&
    ID.test(v[0].toString("latin1")) &&
    isBuf(v[1]) &&
    isNum(v[2]) &&
    isNum(v[3])
  ) {
    return [mask(v[0]), mask(v[1]), "<t>", mask(v[3])];
  }
  if (v.length === 3 && isBuf(v[0]) && ID.test(v[0].toString("latin1")) && isNum(v[1]) && isNum(v[2])) {
    return [mask(v[0]), "<t>", mask(v[2])];
  }
  const out = v.map(mask);
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

export function maskStreamTimes(frame: Buffer): string {
  const type = String.fromCharCode(frame[0]);
  const decoded = RespDecoder.decodeAll(frame)[0];
  return type + JSON.stringify(mask(decoded));
}
