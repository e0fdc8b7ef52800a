import { LatencyHistogram } from "./latency-histogram.js";

/**
 * One backend's traffic counters, plain numbers bumped on the hot path (BackendConnection) and read by
 * prom-client only when /metrics is scraped. In-flight requests are Backend.outstanding.
 */
export class BackendStats {
  /** Requests sent to this backend for clients (redispatched reads count again where they go). */
  requests = 0;
  /** Replies that were errors (`-…`, RESP3 `!…`). */
  errorReplies = 0;
  /** Requests whose reply never came because the connection was lost (failed or moved elsewhere). */
  connectionErrors = 0;
  /** Request latency on the shared connections (see batch-timer.ts for what is timed). */
  readonly latency = new LatencyHistogram();
}
