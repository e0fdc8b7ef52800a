import { performance } from "node:perf_hooks";
import type { LatencyHistogram } from "./latency-histogram.js";

/**
 * Times a backend connection's requests per written batch, not per request.
 *
 * Why per batch: a shared backend connection keeps no timing per request (its FIFO holds reply slots
 * owned by sessions, and internal SELECT/CLIENT SETNAME/probe entries), and at ~500k pipelined
 * requests/s a clock read per request would cost a measurable share of the proxy's CPU. All requests of
 * one batch leave in the same write, so one clock read at the write times all of them exactly; replies
 * are timed per socket read (one clock read per chunk of replies). A request's latency is thus "written
 * to the backend" → "its reply read from the backend", without the proxy's own queueing before the
 * write (at most one event-loop turn).
 *
 * State is two number arrays used as a queue of unanswered batches (write time, replies still due).
 */
export class BatchTimer {
  private sentAt: number[] = [];
  private due: number[] = [];
  private head = 0;
  /** FIFO entries covered by the batches in the queue. */
  private covered = 0;

  /** A batch was written; `pending` is every FIFO entry now awaiting a reply (earlier batches included). */
  written(pending: number): void {
    const n = pending - this.covered;
    if (n <= 0) return;
    this.sentAt.push(performance.now());
    this.due.push(n);
    this.covered += n;
  }

  /** `n` FIFO entries were answered in one read: each is timed from its batch's write to now. */
  answered(n: number, into: LatencyHistogram): void {
    if (this.head === this.due.length) return;
    const now = performance.now();
    while (n > 0 && this.head < this.due.length) {
      const left = this.due[this.head];
      const k = Math.min(n, left);
      into.observe((now - this.sentAt[this.head]) / 1000, k);
      n -= k;
      this.covered -= k;
      if (k === left) this.head++;
      else this.due[this.head] = left - k;
    }
    if (this.head === this.due.length) {
      this.sentAt.length = 0;
      this.due.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.due.length) {
      this.sentAt.splice(0, this.head);
      this.due.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Batches written and not fully answered. */
  get unanswered(): number {
    return this.due.length - this.head;
  }
}
