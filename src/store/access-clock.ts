/**
 * Redis's per-object access clock (the 24-bit `lru` field of a robj), kept per key in Database.lru:
 *
 * - with an LRU (or any non-LFU) maxmemory-policy: the LRU clock, unix seconds modulo 2^24, of the last
 *   access — OBJECT IDLETIME and LRU eviction read the idle time from it;
 * - with an LFU policy: (minutes modulo 2^16) << 8 | an 8-bit logarithmic access counter, incremented with
 *   probability 1/((counter-5)·lfu-log-factor+1) and decremented by one per lfu-decay-time minutes without
 *   access — OBJECT FREQ and LFU eviction read it.
 *
 * As in Redis the clock is coarse and cached (refreshed by the server cron, Redis's server.lruclock), so
 * recording an access is one small-integer store per lookup.
 */

/** LRU_CLOCK_MAX: the clock wraps after 2^24 seconds (194 days). */
export const LRU_CLOCK_MAX = (1 << 24) - 1;
/** LRU_CLOCK_RESOLUTION in ms. */
export const LRU_CLOCK_RESOLUTION = 1000;
/** LFU_INIT_VAL: a new key's counter, so it is not evicted before it had a chance to be used. */
export const LFU_INIT_VAL = 5;

export class AccessClock {
  /** Redis's server.lruclock. */
  lruClock = 0;
  /** LFUGetTimeInMinutes(): unix minutes modulo 2^16. */
  minutes = 0;
  /** True while maxmemory-policy is an LFU one. */
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;

  constructor() {
    this.refresh(Date.now());
  }

  /** Called by the server cron (Redis updates server.lruclock there too). */
  refresh(nowMs: number): void {
    this.lruClock = Math.floor(nowMs / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX;
    this.minutes = Math.floor(nowMs / 60000) & 65535;
  }

  /** The clock of a newly created object (createObject). */
  initial(): number {
    return this.lfu ? (this.minutes << 8) | LFU_INIT_VAL : this.lruClock;
  }

  /** The clock after an access (lookupKey): now, or the LFU counter decayed then incremented (updateLFU). */
  touched(old: number | undefined): number {
    if (!this.lfu) return this.lruClock;
    const counter = this.logIncr(this.decrAndReturn(old ?? this.initial()));
    return (this.minutes << 8) | counter;
  }

  /** LFULogIncr. */
  private logIncr(counter: number): number {
    if (counter === 255) return 255;
    const base = counter - LFU_INIT_VAL;
    const p = 1 / (Math.max(base, 0) * this.lfuLogFactor + 1);
    return Math.random() < p ? counter + 1 : counter;
  }

  /** LFUDecrAndReturn: the counter after the decay for the minutes elapsed since the last access. */
  decrAndReturn(v: number): number {
    const ldt = v >>> 8;
    const counter = v & 255;
    if (this.lfuDecayTime === 0) return counter;
    const now = this.minutes;
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    const periods = Math.floor(elapsed / this.lfuDecayTime);
    return periods > counter ? 0 : counter - periods;
  }

  /** estimateObjectIdleTime, in ms. */
  idleMs(v: number): number {
    const clock = this.lruClock;
    return (clock >= v ? clock - v : clock + (LRU_CLOCK_MAX - v)) * LRU_CLOCK_RESOLUTION;
  }

  /**
   * objectSetLRUOrLFU for RESTORE: FREQ sets the counter under an LFU policy, IDLETIME (seconds) sets the
   * access time under any other; null when the given option does not apply (the clock stays as created).
   */
  restored(freq: number, idleSeconds: number): number | null {
    if (this.lfu) return freq >= 0 ? (this.minutes << 8) | freq : null;
    if (idleSeconds < 0) return null;
    let abs = this.lruClock - Math.floor((idleSeconds * 1000) / LRU_CLOCK_RESOLUTION);
    if (abs < 0) abs += LRU_CLOCK_MAX;
    // Redis stores the result in a 24-bit field: what does not fit wraps.
    const m = abs % (LRU_CLOCK_MAX + 1);
    return m < 0 ? m + LRU_CLOCK_MAX + 1 : m;
  }
}
