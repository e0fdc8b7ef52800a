import type { MutableString } from "./mutable-string.js";

/**
 * Redis's HyperLogLog (hyperloglog.c), byte for byte: the same string layout, hash, register updates,
 * sparse-to-dense promotion and cardinality estimator, so a HyperLogLog written by redis-server is read
 * and updated here exactly as Redis would, and the reverse.
 *
 * Layout (a plain string value): a 16-byte header — "HYLL", the encoding (0 dense, 1 sparse), three
 * unused bytes, and the cached cardinality as a little-endian uint64 whose top bit set means "stale" —
 * followed by the registers: 16384 six-bit registers packed from the least significant bit of each byte
 * (dense, 12288 bytes), or a run-length code of ZERO (00xxxxxx, 1–64 zero registers), XZERO (01xxxxxx
 * xxxxxxxx, 1–16384 zero registers) and VAL (1vvvvvxx, 1–4 registers of value 1–32) opcodes (sparse).
 *
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19); the low 14 bits pick the register, and the
 * run of zeros above them (plus one) is the value. The estimate is Otmar Ertl's improved estimator from
 * the register histogram ("New cardinality estimation algorithms for HyperLogLog sketches"), computed
 * in doubles in the same order of operations as Redis so both round to the same integer.
 *
 * Functions take the value's bytes (a Buffer read from index 0, with its length) or, when they may change
 * the length, the MutableString holding them.
 */

export const HLL_P = 14;
/** Hash bits left for the zero run. */
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_REGISTER_MAX = 63;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * 6 + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** Byte holding the cache's validity bit (the cached cardinality's most significant byte). */
const HLL_CARD_MSB = 15;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;

/** 0.5/ln(2), Redis's HLL_ALPHA_INF (0.721347520444481703680, the same double). */
const HLL_ALPHA_INF = 0.7213475204444817;

// ─── MurmurHash64A in 32-bit halves ──────────────────────────────────────────────────────────────────────

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const HASH_SEED = 0xadc83b19;

/**
 * The 64-bit value being computed, as two uint32 halves (hi, lo). A typed array: storing a uint32 above
 * 2^31 in an ordinary object field would box it on every store, which made hashing ten times slower.
 */
const h64 = new Uint32Array(2);
const HI = 0;
const LO = 1;
const M_LO_0 = M_LO & 0xffff;
const M_LO_1 = M_LO >>> 16;

/** h64 = (hi:lo) * m mod 2^64. */
function mulM(hi: number, lo: number): void {
  // lo * M_LO in full 64 bits from 16-bit limbs (every partial product and sum is exact in a double).
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const mid = a0 * M_LO_1 + a1 * M_LO_0;
  const low = a0 * M_LO_0 + (mid % 65536) * 65536;
  const high = a1 * M_LO_1 + Math.floor(mid / 65536) + Math.floor(low / 4294967296);
  h64[LO] = low;
  h64[HI] = high + Math.imul(lo, M_HI) + Math.imul(hi, M_LO);
}

/** MurmurHash64A of the latin1 string `s` (Redis's, with its seed), left in h64. */
function murmurHash64A(s: string): void {
  const len = s.length;
  mulM(0, len);
  let hhi = h64[HI];
  let hlo = (h64[LO] ^ HASH_SEED) >>> 0;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    const klo =
      s.charCodeAt(i) |
      (s.charCodeAt(i + 1) << 8) |
      (s.charCodeAt(i + 2) << 16) |
      (s.charCodeAt(i + 3) << 24);
    const khi =
      s.charCodeAt(i + 4) |
      (s.charCodeAt(i + 5) << 8) |
      (s.charCodeAt(i + 6) << 16) |
      (s.charCodeAt(i + 7) << 24);
    mixBlock(hhi, hlo, khi >>> 0, klo >>> 0);
    hhi = h64[HI];
    hlo = h64[LO];
  }
  const rest = len & 7;
  if (rest !== 0) {
    for (let j = rest - 1; j >= 0; j--) {
      const b = s.charCodeAt(i + j);
      if (j >= 4) hhi = (hhi ^ (b << ((j - 4) * 8))) >>> 0;
      else hlo = (hlo ^ (b << (j * 8))) >>> 0;
    }
    mulM(hhi, hlo);
    hhi = h64[HI];
    hlo = h64[LO];
  }
  finish(hhi, hlo);
}

/** One 8-byte block k mixed into h: k *= m; k ^= k >> 47; k *= m; h ^= k; h *= m (result in h64). */
function mixBlock(hhi: number, hlo: number, khi: number, klo: number): void {
  mulM(khi, klo);
  // k ^= k >> 47: only the high half's top 17 bits reach the low half.
  const k1hi = h64[HI];
  mulM(k1hi, (h64[LO] ^ (k1hi >>> 15)) >>> 0);
  mulM((hhi ^ h64[HI]) >>> 0, (hlo ^ h64[LO]) >>> 0);
}

/** The final avalanche: h ^= h >> 47; h *= m; h ^= h >> 47 (result in h64). */
function finish(hhi: number, hlo: number): void {
  mulM(hhi, (hlo ^ (hhi >>> 15)) >>> 0);
  h64[LO] = h64[LO] ^ (h64[HI] >>> 15);
}

/** MurmurHash64A of the 8 bytes of a little-endian uint64 (hi:lo), as PFSELFTEST hashes its elements. */
function murmurHash64AOfU64(hi: number, lo: number): void {
  mulM(0, 8);
  mixBlock(h64[HI], (h64[LO] ^ HASH_SEED) >>> 0, hi, lo);
  finish(h64[HI], h64[LO]);
}

/** The register an element hashes to, set by patLen. */
const pattern = { index: 0 };

/** Redis's hllPatLen: the length of the 000..1 run above the index bits (1..Q+1); the index in pattern. */
function patLen(ele: string): number {
  murmurHash64A(ele);
  return patLenOfHash();
}

/** patLen for the hash in h64. */
function patLenOfHash(): number {
  const hi = h64[HI];
  const lo = h64[LO];
  pattern.index = lo & HLL_P_MASK;
  // hash >>= P, then bit Q set so the run ends by Q+1.
  const nlo = ((lo >>> HLL_P) | (hi << (32 - HLL_P))) >>> 0;
  if (nlo !== 0) return 32 - Math.clz32(nlo & -nlo);
  const nhi = (hi >>> HLL_P) | (1 << (HLL_Q - 32));
  return 32 + 32 - Math.clz32(nhi & -nhi);
}

// ─── dense registers ─────────────────────────────────────────────────────────────────────────────────────

/** Register `reg` of the dense registers starting at byte `base`. */
export function denseGet(p: Buffer, base: number, reg: number): number {
  const bit = reg * 6;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  // A register starting at bit 0..2 of its byte lies within it (and the last one never reads past the end).
  if (fb <= 2) return (p[byte] >> fb) & HLL_REGISTER_MAX;
  return ((p[byte] >> fb) | (p[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSetRegister(p: Buffer, base: number, reg: number, val: number): void {
  const bit = reg * 6;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  p[byte] = (p[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (fb > 2) p[byte + 1] = (p[byte + 1] & ~(HLL_REGISTER_MAX >> (8 - fb))) | (val >> (8 - fb));
}

/** Redis's hllDenseSet: raises register `index` to `count`; 1 when it changed. */
function denseSet(p: Buffer, index: number, count: number): number {
  if (count > denseGet(p, HLL_HDR_SIZE, index)) {
    denseSetRegister(p, HLL_HDR_SIZE, index, count);
    return 1;
  }
  return 0;
}

function denseRegHisto(p: Buffer, reghisto: Int32Array): void {
  let b = HLL_HDR_SIZE;
  for (let j = 0; j < HLL_REGISTERS; j += 4, b += 3) {
    const b0 = p[b];
    const b1 = p[b + 1];
    const b2 = p[b + 2];
    reghisto[b0 & 63]++;
    reghisto[((b0 >> 6) | (b1 << 2)) & 63]++;
    reghisto[((b1 >> 4) | (b2 << 4)) & 63]++;
    reghisto[(b2 >> 2) & 63]++;
  }
}

// ─── sparse representation ───────────────────────────────────────────────────────────────────────────────

const isZero = (b: number): boolean => (b & 0xc0) === 0;
const isXZero = (b: number): boolean => (b & 0xc0) === 0x40;
const isVal = (b: number): boolean => (b & 0x80) !== 0;
const zeroLen = (b: number): number => (b & 0x3f) + 1;
const xzeroLen = (b: number, b2: number): number => (((b & 0x3f) << 8) | b2) + 1;
const valValue = (b: number): number => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number): number => (b & 0x3) + 1;
const valByte = (val: number, len: number): number => (((val - 1) << 2) | (len - 1) | 0x80) & 0xff;

/**
 * Redis's hllSparseToDense: rewrites a sparse value as dense (header copied, cache included). False when
 * the sparse code is corrupt (it does not cover exactly 16384 registers); the value is then unchanged.
 */
export function sparseToDense(ms: MutableString): boolean {
  const sparse = ms.buf;
  if (sparse[4] === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE);
  sparse.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[4] = HLL_DENSE;
  const end = ms.length;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < end) {
    const b = sparse[p];
    if (isZero(b)) {
      idx += zeroLen(b);
      p++;
    } else if (isXZero(b)) {
      idx += xzeroLen(b, p + 1 < end ? sparse[p + 1] : 0);
      p += 2;
    } else {
      let runlen = valLen(b);
      const regval = valValue(b);
      if (runlen + idx > HLL_REGISTERS) break; // overflow
      while (runlen--) denseSetRegister(dense, HLL_HDR_SIZE, idx++, regval);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  ms.buf = dense;
  ms.length = HLL_DENSE_SIZE;
  return true;
}

/**
 * Redis's hllSparseSet: raises register `index` to `count` in the sparse code, splitting and re-merging
 * opcodes in place, or promotes the value to dense when `count` does not fit a VAL opcode or the code
 * would grow past `sparseMaxBytes`. Returns 1 when the register changed, 0 when not, -1 when the value
 * is corrupt.
 */
function sparseSet(ms: MutableString, index: number, count: number, sparseMaxBytes: number): number {
  if (count <= SPARSE_VAL_MAX_VALUE) {
    const r = sparseSetInPlace(ms, index, count, sparseMaxBytes);
    if (r !== PROMOTE) return r;
  }
  if (!sparseToDense(ms)) return -1;
  return denseSet(ms.buf, index, count);
}

const PROMOTE = 2;
/** The replacement opcodes of one split (at most XZERO-VAL-XZERO, 5 bytes). */
const seq = new Uint8Array(5);

function sparseSetInPlace(ms: MutableString, index: number, count: number, sparseMaxBytes: number): number {
  // Room for the worst split (+3 bytes), and a zero byte past the end where C has the sds terminator.
  ms.reserve(ms.length + 4);
  const p0 = ms.buf;
  let end = ms.length;
  p0[end] = 0;

  // Step 1: find the opcode covering `index`.
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const b = p0[p];
    let oplen = 1;
    if (isZero(b)) span = zeroLen(b);
    else if (isVal(b)) span = valLen(b);
    else {
      span = xzeroLen(b, p0[p + 1]);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;

  const op = p0[p];
  let next: number = isXZero(op) ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const opIsZero = isZero(op);
  const opIsXZero = isXZero(op);
  const opIsVal = !opIsZero && !opIsXZero;
  const runlen = opIsZero ? zeroLen(op) : opIsXZero ? xzeroLen(op, p0[p + 1]) : valLen(op);

  let updated = false;
  // Step 2, trivial cases: a VAL already big enough; a VAL or ZERO covering only this register.
  if (opIsVal) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) {
      p0[p] = valByte(count, 1);
      updated = true;
    }
  }
  if (!updated && opIsZero && runlen === 1) {
    p0[p] = valByte(count, 1);
    updated = true;
  }

  if (!updated) {
    // General case: split the opcode around the register.
    let n = 0;
    const last = first + span - 1;
    if (opIsZero || opIsXZero) {
      if (index !== first) n = putZeros(n, index - first);
      seq[n++] = valByte(count, 1);
      if (index !== last) n = putZeros(n, last - index);
    } else {
      const curval = valValue(op);
      if (index !== first) seq[n++] = valByte(curval, index - first);
      seq[n++] = valByte(count, 1);
      if (index !== last) seq[n++] = valByte(curval, last - index);
    }
    // Step 3: put the new sequence in place of the old opcode.
    const oldlen = opIsXZero ? 2 : 1;
    const deltalen = n - oldlen;
    if (deltalen > 0 && ms.length + deltalen > sparseMaxBytes) return PROMOTE;
    if (deltalen !== 0 && next >= 0) p0.copyWithin(next + deltalen, next, end);
    ms.length += deltalen;
    for (let k = 0; k < n; k++) p0[p + k] = seq[k];
    end += deltalen;
  }

  // Step 4: merge adjacent VAL opcodes of equal value around the change (up to 5 opcodes from prev).
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scanlen = 5;
  while (p < end && scanlen-- !== 0) {
    const b = p0[p];
    if (isXZero(b)) {
      p += 2;
      continue;
    }
    if (isZero(b)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(p0[p + 1])) {
      const v1 = valValue(b);
      if (v1 === valValue(p0[p + 1])) {
        const len = valLen(b) + valLen(p0[p + 1]);
        if (len <= SPARSE_VAL_MAX_LEN) {
          p0[p + 1] = valByte(v1, len);
          p0.copyWithin(p, p + 1, end);
          end--;
          p0[end] = 0;
          ms.length--;
          continue;
        }
      }
    }
    p++;
  }
  p0[HLL_CARD_MSB] |= 0x80;
  return 1;
}

/** Writes a run of `len` zero registers into `seq` at `n` (ZERO up to 64, else XZERO); the new end. */
function putZeros(n: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq[n] = (l >> 8) | 0x40;
    seq[n + 1] = l & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

/** Redis's hllSparseRegHisto; false when the code does not cover exactly 16384 registers. */
function sparseRegHisto(p: Buffer, len: number, reghisto: Int32Array): boolean {
  let idx = 0;
  let i = HLL_HDR_SIZE;
  while (i < len) {
    const b = p[i];
    if (isZero(b)) {
      const run = zeroLen(b);
      idx += run;
      reghisto[0] += run;
      i++;
    } else if (isXZero(b)) {
      const run = xzeroLen(b, i + 1 < len ? p[i + 1] : 0);
      idx += run;
      reghisto[0] += run;
      i += 2;
    } else {
      const run = valLen(b);
      idx += run;
      reghisto[valValue(b)] += run;
      i++;
    }
  }
  return idx === HLL_REGISTERS;
}

// ─── the estimator ───────────────────────────────────────────────────────────────────────────────────────

function hllSigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    // pow(1 - x, 2) in Redis, which compilers emit as this very multiplication.
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Redis's estimate from a register histogram (reghisto[v] = number of registers holding v). */
function estimate(reghisto: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - reghisto[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * hllSigma(reghisto[0] / m);
  // llroundl: halves away from zero, which for a non-negative value is Math.round.
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

const histogram = new Int32Array(64);

// ─── the operations the commands use ─────────────────────────────────────────────────────────────────────

export const HyperLogLog = {
  /** The value of a new key: an empty sparse HyperLogLog (header plus one XZERO of 16384). */
  EMPTY: "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff",

  /** isHLLObjectOrReply's shape test on a string value: magic, a known encoding, dense size exact. */
  isValid(v: string | MutableString): boolean {
    const len = v.length;
    if (len < HLL_HDR_SIZE) return false;
    const at = typeof v === "string" ? (i: number) => v.charCodeAt(i) : (i: number) => v.buf[i];
    if (at(0) !== 72 || at(1) !== 89 || at(2) !== 76 || at(3) !== 76) return false; // "HYLL"
    const enc = at(4);
    if (enc > HLL_SPARSE) return false;
    return enc !== HLL_DENSE || len === HLL_DENSE_SIZE;
  },

  /** Redis's hllAdd: 1 when a register changed, 0 when not, -1 on a corrupt value. */
  add(ms: MutableString, ele: string, sparseMaxBytes: number): number {
    const count = patLen(ele);
    const enc = ms.buf[4];
    if (enc === HLL_DENSE) return denseSet(ms.buf, pattern.index, count);
    if (enc === HLL_SPARSE) return sparseSet(ms, pattern.index, count, sparseMaxBytes);
    return -1;
  },

  /** `add` for the 8-byte little-endian element (hi:lo), PFSELFTEST's elements. */
  addU64(ms: MutableString, hi: number, lo: number, sparseMaxBytes: number): number {
    murmurHash64AOfU64(hi, lo);
    const count = patLenOfHash();
    if (ms.buf[4] === HLL_DENSE) return denseSet(ms.buf, pattern.index, count);
    return sparseSet(ms, pattern.index, count, sparseMaxBytes);
  },

  /** Raises register `index` to `count` whatever the encoding (PFMERGE's write-back); as `add`. */
  set(ms: MutableString, index: number, count: number, sparseMaxBytes: number): number {
    if (ms.buf[4] === HLL_DENSE) return denseSet(ms.buf, index, count);
    return sparseSet(ms, index, count, sparseMaxBytes);
  },

  /** Marks the cached cardinality stale (HLL_INVALIDATE_CACHE). */
  invalidateCache(p: Buffer): void {
    p[HLL_CARD_MSB] |= 0x80;
  },

  /** The cached cardinality, or -1 when stale. */
  cachedCount(v: string | MutableString): number | bigint {
    const at = typeof v === "string" ? (i: number) => v.charCodeAt(i) : (i: number) => v.buf[i];
    if (at(HLL_CARD_MSB) & 0x80) return -1;
    const lo = (at(8) | (at(9) << 8) | (at(10) << 16) | (at(11) << 24)) >>> 0;
    const hi = (at(12) | (at(13) << 8) | (at(14) << 16) | (at(15) << 24)) >>> 0;
    return hi < 1 << 21 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  },

  /** Stores `card` as the cached cardinality (valid). */
  setCachedCount(p: Buffer, card: number): void {
    const hi = Math.floor(card / 4294967296);
    p.writeUInt32LE(card >>> 0, 8);
    p.writeUInt32LE(hi >>> 0, 12);
  },

  /** Redis's hllCount on a dense or sparse value's bytes; -1 when the sparse code is corrupt. */
  count(p: Buffer, len: number): number {
    histogram.fill(0);
    if (p[4] === HLL_DENSE) denseRegHisto(p, histogram);
    else if (!sparseRegHisto(p, len, histogram)) return -1;
    return estimate(histogram);
  },

  /** The estimate for raw registers, one byte each (PFCOUNT of several keys; never cached). */
  countRegisters(max: Uint8Array): number {
    histogram.fill(0);
    for (let i = 0; i < HLL_REGISTERS; i++) histogram[max[i]]++;
    return estimate(histogram);
  },

  /** Redis's hllMerge: max[i] = MAX(max[i], register i); false when the sparse code is corrupt. */
  merge(max: Uint8Array, p: Buffer, len: number): boolean {
    if (p[4] === HLL_DENSE) {
      // Four registers per three bytes, as denseRegHisto reads them.
      let b = HLL_HDR_SIZE;
      for (let i = 0; i < HLL_REGISTERS; i += 4, b += 3) {
        const b0 = p[b];
        const b1 = p[b + 1];
        const b2 = p[b + 2];
        const r0 = b0 & 63;
        const r1 = ((b0 >> 6) | (b1 << 2)) & 63;
        const r2 = ((b1 >> 4) | (b2 << 4)) & 63;
        const r3 = b2 >> 2;
        if (r0 > max[i]) max[i] = r0;
        if (r1 > max[i + 1]) max[i + 1] = r1;
        if (r2 > max[i + 2]) max[i + 2] = r2;
        if (r3 > max[i + 3]) max[i + 3] = r3;
      }
      return true;
    }
    let i = 0;
    let q = HLL_HDR_SIZE;
    while (q < len) {
      const b = p[q];
      if (isZero(b)) {
        i += zeroLen(b);
        q++;
      } else if (isXZero(b)) {
        i += xzeroLen(b, q + 1 < len ? p[q + 1] : 0);
        q += 2;
      } else {
        let runlen = valLen(b);
        const regval = valValue(b);
        if (runlen + i > HLL_REGISTERS) break;
        while (runlen--) {
          if (regval > max[i]) max[i] = regval;
          i++;
        }
        q++;
      }
    }
    return i === HLL_REGISTERS;
  },

  /** PFDEBUG DECODE's text for a sparse value: "z:N", "Z:N", "v:value,len" separated by spaces. */
  decode(p: Buffer, len: number): string {
    const parts: string[] = [];
    let q = HLL_HDR_SIZE;
    while (q < len) {
      const b = p[q];
      if (isZero(b)) {
        parts.push(`z:${zeroLen(b)}`);
        q++;
      } else if (isXZero(b)) {
        parts.push(`Z:${xzeroLen(b, q + 1 < len ? p[q + 1] : 0)}`);
        q += 2;
      } else {
        parts.push(`v:${valValue(b)},${valLen(b)}`);
        q++;
      }
    }
    return parts.join(" ");
  },

  /** Register `reg` of a dense value. */
  register(p: Buffer, reg: number): number {
    return denseGet(p, HLL_HDR_SIZE, reg);
  },

  sparseToDense,
  patLen,
  pattern,
};
