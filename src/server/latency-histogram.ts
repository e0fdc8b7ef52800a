/**
 * A per-command latency histogram with the bucket layout Redis 7.0 gets from hdr_histogram for
 * `latency-tracking` (lowest 1 ns, highest 1 s, 2 significant figures), so LATENCY HISTOGRAM and the
 * INFO latencystats percentiles report the same buckets as redis-server for the same samples.
 *
 * Layout (hdr_calculate_bucket_config with those parameters): unit magnitude 0, 256 sub-buckets (128 per
 * half), 23 buckets, so 3072 counters, allocated on a command's first call. Values are nanoseconds.
 */

const LOWEST = 1;
const HIGHEST = 1_000_000_000;
const UNIT_MAGNITUDE = 0;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7;
const SUB_BUCKET_COUNT = 256;
const SUB_BUCKET_HALF_COUNT = 128;
const SUB_BUCKET_MASK = (SUB_BUCKET_COUNT - 1) << UNIT_MAGNITUDE;
const BUCKET_COUNT = 23;
const COUNTS_LEN = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

function bucketIndex(value: number): number {
  // 64 - clz64(value | mask) for values below 2^31, as they all are here.
  const pow2ceiling = 32 - Math.clz32(value | SUB_BUCKET_MASK);
  return pow2ceiling - UNIT_MAGNITUDE - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
}

function subBucketIndex(value: number, bucket: number): number {
  return Math.floor(value / 2 ** (bucket + UNIT_MAGNITUDE));
}

function valueAtIndex(index: number): number {
  let b = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let sb = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (b < 0) {
    sb -= SUB_BUCKET_HALF_COUNT;
    b = 0;
  }
  return sb * 2 ** (b + UNIT_MAGNITUDE);
}

function rangeSize(bucket: number, sub: number): number {
  return 2 ** (UNIT_MAGNITUDE + (sub >= SUB_BUCKET_COUNT ? bucket + 1 : bucket));
}

function lowestEquivalent(value: number): number {
  const b = bucketIndex(value);
  return subBucketIndex(value, b) * 2 ** (b + UNIT_MAGNITUDE);
}

function highestEquivalent(value: number): number {
  const b = bucketIndex(value);
  const sb = subBucketIndex(value, b);
  return sb * 2 ** (b + UNIT_MAGNITUDE) + rangeSize(b, sb) - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LEN);
  totalCount = 0;

  /**
   * Records one duration in nanoseconds, clamped to the tracked range as Redis does. Runs after every
   * command: integer bit operations only (values stay below 2^31).
   */
  record(ns: number): void {
    const v = ns < LOWEST ? LOWEST : ns > HIGHEST ? HIGHEST : ns | 0;
    const bucket = 32 - Math.clz32(v | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
    this.counts[((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (v >>> bucket) - SUB_BUCKET_HALF_COUNT]++;
    this.totalCount++;
  }

  /**
   * LATENCY HISTOGRAM's `histogram_usec` pairs (Redis's fillCommandCDF over hdr_iter_log with a first
   * bucket of 1024 ns and base 2): [µs upper bound, cumulative count], only where the count grew.
   */
  cumulativeBuckets(): [number, number][] {
    const out: [number, number][] = [];
    const total = this.totalCount;
    let index = -1;
    let cumulative = 0;
    let value = 0;
    let highest = 0;
    let level = 1024;
    let levelLowest = lowestEquivalent(level);
    let previous = 0;
    for (;;) {
      // log_iter_next: go on while counts remain, or while a bucket past the reporting level is left.
      const more = cumulative < total || (index < COUNTS_LEN && valueAtIndex(index + 1) > levelLowest);
      if (!more) break;
      for (;;) {
        if (value >= levelLowest) {
          level *= 2;
          levelLowest = lowestEquivalent(level);
          break;
        }
        index++;
        if (index >= COUNTS_LEN) break;
        cumulative += this.counts[index];
        value = valueAtIndex(index);
        const b = bucketIndex(value);
        const sb = subBucketIndex(value, b);
        highest = sb * 2 ** (b + UNIT_MAGNITUDE) + rangeSize(b, sb) - 1;
      }
      if (cumulative > previous) out.push([Math.floor(highest / 1000), cumulative]);
      previous = cumulative;
      if (index >= COUNTS_LEN) break;
    }
    return out;
  }

  /** hdr_value_at_percentile: the highest equivalent value of the bucket holding that percentile (ns). */
  valueAtPercentile(percentile: number): number {
    const p = Math.min(percentile, 100);
    let countAtPercentile = Math.floor((p / 100) * this.totalCount + 0.5);
    if (countAtPercentile < 1) countAtPercentile = 1;
    let total = 0;
    let value = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      total += this.counts[i];
      if (total >= countAtPercentile) {
        value = valueAtIndex(i);
        break;
      }
    }
    return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
  }
}
