/**
 * CRC-64/Jones as Redis's crc64.c computes it (reflected input and output, init 0, xorout 0; check value
 * for "123456789" is 0xe9c6d914c4b8d9ca). The RDB trailer is this checksum, little-endian.
 *
 * JS numbers cannot hold 64 bits, so the running value is two uint32 halves and each table is two
 * Uint32Arrays. Eight bytes are folded per step with eight tables ("slicing-by-8": T_k[n] is the CRC of
 * byte n followed by k zero bytes): byte-at-a-time cost ~7 ms per MiB, a share of the master's slices
 * during a full sync and of the replica's load, both of which checksum the whole RDB.
 */

// Jones polynomial 0xad93d23594c935a9, bit-reversed for the reflected algorithm: 0x95ac9329ac4bc9b5.
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}

/** T_1..T_7 for slicing-by-8, each as hi/lo halves (T_0 is TABLE_HI/TABLE_LO). */
const SLICE_HI: Uint32Array[] = [TABLE_HI];
const SLICE_LO: Uint32Array[] = [TABLE_LO];
for (let k = 1; k < 8; k++) {
  const prevHi = SLICE_HI[k - 1];
  const prevLo = SLICE_LO[k - 1];
  const hiT = new Uint32Array(256);
  const loT = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    const hi = prevHi[n];
    const lo = prevLo[n];
    const idx = lo & 0xff;
    loT[n] = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx]) >>> 0;
    hiT[n] = ((hi >>> 8) ^ TABLE_HI[idx]) >>> 0;
  }
  SLICE_HI.push(hiT);
  SLICE_LO.push(loT);
}
const [H0, H1, H2, H3, H4, H5, H6, H7] = SLICE_HI;
const [L0, L1, L2, L3, L4, L5, L6, L7] = SLICE_LO;

/** A running CRC64 over a byte stream. */
export class Crc64 {
  hi = 0;
  lo = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    for (const last = end - 8; i <= last; i += 8) {
      const xl = lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      const xh = hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24));
      const a = xl & 0xff;
      const b = (xl >>> 8) & 0xff;
      const c = (xl >>> 16) & 0xff;
      const d = xl >>> 24;
      const e = xh & 0xff;
      const f = (xh >>> 8) & 0xff;
      const g = (xh >>> 16) & 0xff;
      const h = xh >>> 24;
      lo = L7[a] ^ L6[b] ^ L5[c] ^ L4[d] ^ L3[e] ^ L2[f] ^ L1[g] ^ L0[h];
      hi = H7[a] ^ H6[b] ^ H5[c] ^ H4[d] ^ H3[e] ^ H2[f] ^ H1[g] ^ H0[h];
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
      hi = (hi >>> 8) ^ TABLE_HI[idx];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The 8 bytes Redis appends after RDB_OPCODE_EOF (little-endian). */
  digestLE(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32LE(this.lo >>> 0, 0);
    out.writeUInt32LE(this.hi >>> 0, 4);
    return out;
  }

  get value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }
}

/** CRC64 of one buffer, as a bigint (tests, DEBUG DIGEST). */
export function crc64(buf: Uint8Array): bigint {
  return new Crc64().update(buf).value;
}
