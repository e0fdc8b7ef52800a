/**
 * LZF, the compressor Redis uses for RDB strings (liblzf's format): a stream of literal runs (control
 * byte 0..31 → that many + 1 raw bytes follow) and back references (control byte LLLooooo, then an extra
 * length byte when LLL = 7, then the low offset byte; copy len + 2 bytes from offset + 1 bytes back).
 */

/*
 * The compressor follows liblzf 3.6 as Redis builds it (lzfP.h: HLOG 16, VERY_FAST, hash table not
 * initialised), step for step, so a string compresses to the very bytes redis-server writes and DUMP
 * payloads and RDB files come out byte-identical: the same hash of the next three bytes (and the byte
 * before, which the 32-bit hash register still holds), the same rule that a candidate at input offset 0
 * is never used, the same unrolled match extension, the same two positions re-hashed after a match.
 * Redis's table starts with whatever its stack held; we start from an empty one, which is what it holds
 * in practice for all but pathological reuse.
 */
const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * The hash table, reused across calls (compression is synchronous). Instead of clearing 64K slots per
 * string, each call has a generation: a slot counts only if it was written in this one.
 */
const lzfTable = { pos: new Int32Array(HSIZE), gen: new Uint32Array(HSIZE), current: 0 };

/** IDX(h) with VERY_FAST: ((h >> (3*8 - HLOG)) - h*5) & (HSIZE - 1), in 32-bit unsigned arithmetic. */
function idx(h: number): number {
  return ((h >>> 8) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses `input` into `out` (which must hold at least `maxOut + 1` bytes: one control byte may be
 * reserved past the end and then dropped). Returns the compressed length, or 0 when it would not fit in
 * `maxOut` (the caller then stores the string raw, as Redis does).
 */
export function lzfCompress(input: Uint8Array, out: Uint8Array, maxOut: number): number {
  const inLen = input.length;
  if (inLen === 0 || maxOut <= 0) return 0;
  const t = lzfTable;
  if (++t.current === 0xffffffff) {
    t.gen.fill(0);
    t.current = 1;
  }
  const gen = t.current;
  const pos = t.pos;
  const gens = t.gen;
  const inEnd = inLen;
  const outEnd = maxOut;
  let ip = 0;
  let op = 1; // start run
  let lit = 0;
  let hval = ((input[0] << 8) | input[1]) >>> 0; // FRST
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0; // NEXT
    const slot = idx(hval);
    const ref = gens[slot] === gen ? pos[slot] : -1;
    pos[slot] = ip;
    gens[slot] = gen;
    const off = ip - ref - 1;
    if (
      ref > 0 && // "ref > in_data": offset 0 is never a candidate
      off < MAX_OFF &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      // liblzf's unrolled extension: 16 checked steps first when there is room, then one step at a time.
      let stopped = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            stopped = true;
            break;
          }
        }
      }
      if (!stopped) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the two positions before the new one.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      let sl = idx(hval);
      pos[sl] = ip;
      gens[sl] = gen;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      sl = idx(hval);
      pos[sl] = ip;
      gens[sl] = gen;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }
  if (op + 3 > outEnd) return 0; // at most 3 bytes can be missing here
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return op;
}

/** Decompresses exactly `outLen` bytes; throws on malformed input. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen || ip + n > inLen) throw new Error("invalid LZF data (literal overrun)");
      for (let i = 0; i < n; i++) out[op++] = input[ip++];
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= inLen) throw new Error("invalid LZF data (truncated length)");
        len += input[ip++];
      }
      if (ip >= inLen) throw new Error("invalid LZF data (truncated offset)");
      const ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
      len += 2;
      if (ref < 0 || op + len > outLen) throw new Error("invalid LZF data (back reference out of range)");
      for (let i = 0; i < len; i++) out[op++] = out[ref + i];
    }
  }
  if (op !== outLen) throw new Error("invalid LZF data (length mismatch)");
  return out;
}
