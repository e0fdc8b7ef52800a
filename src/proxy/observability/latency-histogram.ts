/**
 * A fixed-bucket latency histogram kept as plain numbers: one typed array of counts bumped by index, a
 * sum and a count. Observing allocates nothing and calls nothing; prom-client only reads it at scrape
 * time (proxy-metrics.ts), in Prometheus's cumulative `le` form.
 */

/** Upper bounds in seconds (Prometheus `le`); an implicit +Inf bucket follows the last. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class LatencyHistogram {
  /** Observations per bucket, not cumulative; index bounds.length is the +Inf bucket. */
  readonly counts: Float64Array;
  /** Sum of the observed values (seconds). */
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    for (let i = 1; i < bounds.length; i++)
      if (!(bounds[i] > bounds[i - 1]))
        throw new RangeError(`histogram bounds must increase: ${bounds[i - 1]} then ${bounds[i]}`);
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records `n` observations of `seconds` each (n > 1: replies of one batch answered in one read). */
  observe(seconds: number, n = 1): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i] += n;
    this.sum += seconds * n;
    this.count += n;
  }

  /** Cumulative counts per bound, +Inf last (equal to `count`): the `_bucket` series. */
  cumulative(): number[] {
    const out = new Array<number>(this.counts.length);
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i];
      out[i] = acc;
    }
    return out;
  }
}
