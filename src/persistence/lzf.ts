/**
 * LZF, the compressor Redis uses for RDB strings (liblzf's format). Written from the format: a stream of
 * literal runs (control byte 0..31 → that many + 1 raw bytes follow) and back references (control byte
 * LLLooooo, then an extra length byte when LLL = 7, then the low offset byte; copy len + 2 bytes from
 * offset + 1 bytes back).
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

// One hash table reused across calls (compression is synchronous): no allocation per string.
const htab = new Int32Array(HSIZE);

/**
 * Compresses `input` into `out` (which must hold at least `maxOut + 1` bytes: one control byte may be
 * reserved past the end and then dropped). Returns the compressed length,
 * or 0 when it would not fit in `maxOut` (the caller then stores the string raw, as Redis does).
 */
export function lzfCompress(input: Uint8Array, out: Uint8Array, maxOut: number): number {
  const inLen = input.length;
  if (inLen === 0) return 0;
  htab.fill(-1);
  let ip = 0;
  let op = 1; // leave room for the first literal's control byte
  let lit = 0;
  let litCtl = 0; // position of the current literal run's control byte

  while (ip < inLen - 2) {
    const h = Math.imul((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2], 0x9e3779b1) >>> (32 - HLOG);
    const ref = htab[h];
    htab[h] = ip;
    const off = ip - ref - 1;
    if (
      ref >= 0 &&
      off < MAX_OFF &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      // A match of at least 3 bytes; extend it.
      const maxLen = Math.min(MAX_REF, inLen - ip);
      let len = 3;
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      const enc = len - 2;
      if (op + 3 > maxOut) return 0;
      // Close the literal run (or drop its reserved control byte when it is empty).
      if (lit === 0) op--;
      else out[litCtl] = lit - 1;
      if (enc < 7) {
        out[op++] = (enc << 5) | (off >>> 8);
      } else {
        out[op++] = (7 << 5) | (off >>> 8);
        out[op++] = enc - 7;
      }
      out[op++] = off & 0xff;
      ip += len;
      lit = 0;
      litCtl = op++;
      // Hash the last position of the match too: cheap, and it helps runs.
      if (ip < inLen - 2) {
        const p = ip - 1;
        htab[Math.imul((input[p] << 16) | (input[p + 1] << 8) | input[p + 2], 0x9e3779b1) >>> (32 - HLOG)] =
          p;
      }
      continue;
    }
    if (op >= maxOut) return 0;
    out[op++] = input[ip++];
    if (++lit === MAX_LIT) {
      out[litCtl] = MAX_LIT - 1;
      lit = 0;
      litCtl = op++;
    }
  }
  while (ip < inLen) {
    if (op >= maxOut) return 0;
    out[op++] = input[ip++];
    if (++lit === MAX_LIT) {
      out[litCtl] = MAX_LIT - 1;
      lit = 0;
      litCtl = op++;
    }
  }
  if (lit === 0) op--;
  else out[litCtl] = lit - 1;
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
