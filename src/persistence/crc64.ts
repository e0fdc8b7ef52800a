/**
 * CRC-64/Jones as Redis's crc64.c computes it (reflected input and output, init 0, xorout 0; check value
 * for "123456789" is 0xe9c6d914c4b8d9ca). The RDB trailer is this checksum, little-endian.
 *
 * JS numbers cannot hold 64 bits, so the running value is two uint32 halves and the table is two
 * Uint32Arrays (built once, 2 KiB each). Byte-at-a-time with a table is fast enough for dumps: the
 * snapshot updates it per chunk, never per key.
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

/** A running CRC64 over a byte stream. */
export class Crc64 {
  hi = 0;
  lo = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = start; i < end; i++) {
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
