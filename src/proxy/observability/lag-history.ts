/**
 * A ring buffer of one replica's lag over time (by default 600 samples: ten minutes at one per second),
 * kept on the proxy so the status page has the whole window as soon as it loads. Fixed typed arrays:
 * pushing allocates nothing; the oldest sample is overwritten once full.
 */

export interface LagSeries {
  /** Sample times (ms since the epoch), oldest first. */
  readonly t: number[];
  readonly lagMs: number[];
  readonly lagBytes: number[];
}

export class LagHistory {
  private readonly t: Float64Array;
  private readonly ms: Float64Array;
  private readonly bytes: Float64Array;
  /** Where the next sample goes. */
  private next = 0;
  private filled = 0;

  constructor(readonly capacity = 600) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`lag history capacity must be a positive integer, got ${capacity}`);
    this.t = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  push(t: number, lagMs: number, lagBytes: number): void {
    const i = this.next;
    this.t[i] = t;
    this.ms[i] = lagMs;
    this.bytes[i] = lagBytes;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.filled < this.capacity) this.filled++;
  }

  /** The samples, oldest first (for /status). */
  series(): LagSeries {
    const n = this.filled;
    const t = new Array<number>(n);
    const lagMs = new Array<number>(n);
    const lagBytes = new Array<number>(n);
    const first = n < this.capacity ? 0 : this.next;
    for (let k = 0; k < n; k++) {
      const i = (first + k) % this.capacity;
      t[k] = this.t[i];
      lagMs[k] = this.ms[i];
      lagBytes[k] = this.bytes[i];
    }
    return { t, lagMs, lagBytes };
  }
}
