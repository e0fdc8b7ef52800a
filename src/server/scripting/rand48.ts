/**
 * Redis's redisLrand48/redisSrand48 (rand.c): the 48-bit linear congruential generator of lrand48, kept
 * in Redis so math.random gives the same sequence on every platform. Scripts see exactly Redis's
 * numbers: math.random after a restart starts from the same state as Redis's does.
 */
const MULT = 0x5deece66dn;
const MASK48 = (1n << 48n) - 1n;

export class Rand48 {
  private x = 0x1234abcd330en;

  /** The next 31-bit value (lrand48). */
  next(): number {
    this.x = (this.x * MULT + 0xbn) & MASK48;
    return Number(this.x >> 17n);
  }

  /** srand48: the high 32 bits of the state become the seed, the low 16 bits 0x330E. */
  seed(seed: number): void {
    const s = BigInt.asUintN(32, BigInt(Math.trunc(seed) | 0));
    this.x = ((s << 16n) | 0x330en) & MASK48;
  }
}
