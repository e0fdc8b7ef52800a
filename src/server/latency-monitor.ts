/**
 * The latency monitor (Redis's latency.c): named events ("command", "fast-command", "expire-cycle",
 * "aof-write", ...) each keep a ring of the last 160 per-second samples in milliseconds and their all-time
 * maximum; a sample is only taken when it reaches `latency-monitor-threshold` (0 disables the monitor).
 *
 * Callers test `ms >= monitor.thresholdMs` themselves (kept +Infinity while disabled), so an idle monitor
 * costs one comparison at each hook.
 */

/** Redis's LATENCY_TS_LEN. */
export const LATENCY_TS_LEN = 160;

export interface LatencySample {
  /** Unix seconds; 0 for an unused slot. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

export class LatencyTimeSeries {
  /** Next slot to write. */
  idx = 0;
  max = 0;
  readonly samples: LatencySample[] = Array.from({ length: LATENCY_TS_LEN }, () => ({ time: 0, latency: 0 }));

  /** The samples in time order (oldest first), skipping unused slots. */
  ordered(): LatencySample[] {
    const out: LatencySample[] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const s = this.samples[(this.idx + j) % LATENCY_TS_LEN];
      if (s.time !== 0) out.push(s);
    }
    return out;
  }

  latest(): LatencySample {
    return this.samples[(this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
  }
}

export class LatencyMonitor {
  /** The configured threshold in ms, 0 when disabled. */
  configuredMs = 0;
  /** What hooks compare against: the threshold, or +Infinity while disabled. */
  thresholdMs = Number.POSITIVE_INFINITY;
  /** The same in microseconds, for the dispatcher's per-command test. */
  thresholdUs = Number.POSITIVE_INFINITY;
  /** Insertion-ordered, as Redis's dict iterates a small dict. */
  readonly events = new Map<string, LatencyTimeSeries>();

  setThreshold(ms: number): void {
    this.configuredMs = ms;
    this.thresholdMs = ms > 0 ? ms : Number.POSITIVE_INFINITY;
    this.thresholdUs = ms > 0 ? ms * 1000 : Number.POSITIVE_INFINITY;
  }

  /** latencyAddSampleIfNeeded: records `ms` for `event` when it reaches the threshold. */
  addSampleIfNeeded(event: string, ms: number): void {
    if (ms >= this.thresholdMs) this.addSample(event, Math.floor(ms));
  }

  /** latencyAddSample: one sample per second per event, the highest of that second. */
  addSample(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = new LatencyTimeSeries();
      this.events.set(event, ts);
    }
    const now = Math.floor(Date.now() / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = ts.samples[(ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
    if (prev.time === now) {
      if (ms > prev.latency) prev.latency = ms;
      return;
    }
    const slot = ts.samples[ts.idx];
    slot.time = now;
    slot.latency = ms;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** LATENCY RESET [event]: the number of events dropped (names match in any letter case). */
  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }
}

/** analyzeLatencyForEvent's statistics. */
export interface LatencyStats {
  samples: number;
  avg: number;
  mad: number;
  min: number;
  max: number;
  /** Seconds from the oldest sample to now (at least 1 when there are samples). */
  period: number;
}

export function analyzeLatency(ts: LatencyTimeSeries | undefined, nowSec: number): LatencyStats {
  const st: LatencyStats = { samples: 0, avg: 0, mad: 0, min: 0, max: 0, period: 0 };
  if (ts === undefined) return st;
  let sum = 0;
  for (const s of ts.samples) {
    if (s.time === 0) continue;
    st.samples++;
    if (st.samples === 1) st.min = st.max = s.latency;
    else {
      if (st.min > s.latency) st.min = s.latency;
      if (st.max < s.latency) st.max = s.latency;
    }
    sum += s.latency;
    if (st.period === 0 || s.time < st.period) st.period = s.time;
  }
  if (st.samples > 0) {
    st.avg = Math.floor(sum / st.samples);
    st.period = nowSec - st.period;
    if (st.period === 0) st.period = 1;
  }
  let dev = 0;
  for (const s of ts.samples) {
    if (s.time === 0) continue;
    dev += Math.abs(st.avg - s.latency);
  }
  if (st.samples > 0) st.mad = Math.floor(dev / st.samples);
  return st;
}
