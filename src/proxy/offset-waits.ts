import type { ReplicationHistory } from "./consistency.js";
import type { Router } from "./router.js";

/**
 * Waits in the proxy (never on a backend connection) for replicas to reach an offset of the master's
 * current history:
 * - a read under read-your-writes waits for ONE eligible replica to have applied its token;
 * - a write under PROXY DURABILITY waits for N replicas on the history to have applied it.
 * The lag monitor calls check() whenever it learns an offset (the WAITOFFSET long-poll on Tandem, INFO or
 * ROLE polls on Redis); while anything waits, `wantFreshOffsets` asks it to poll replicas that cannot be
 * long-polled right away instead of at the next poll interval.
 *
 * Each wait has its own timer: waiting is the slow path, and a session has at most one read waiting (it
 * stalls behind it) and one held reply per write batch.
 */

export type WaitOutcome = "reached" | "timeout";

export class OffsetWait {
  /** Set once the wait has ended (reached, timed out or cancelled). */
  done = false;
  timer: NodeJS.Timeout | null = null;
  constructor(
    /** Offset of the current history to reach. */
    readonly offset: number,
    /** 0: one eligible replica (a read); n > 0: n replicas on the history (durability). */
    readonly replicas: number,
    readonly settle: (outcome: WaitOutcome) => void,
  ) {}
}

export class OffsetWaits {
  private waits: OffsetWait[] = [];
  /** Called when a wait starts and offsets should be learned now (set by the lag monitor). */
  wantFreshOffsets: () => void = () => {};

  constructor(
    private readonly router: Router,
    private readonly history: ReplicationHistory,
  ) {}

  get waiting(): number {
    return this.waits.length;
  }

  /** Until one eligible replica has applied `offset`, or `timeoutMs`. Settles synchronously if it has. */
  forRead(offset: number, timeoutMs: number, settle: (o: WaitOutcome) => void): OffsetWait {
    return this.start(new OffsetWait(offset, 0, settle), timeoutMs);
  }

  /** Until `n` replicas on the master's history have applied `offset`, or `timeoutMs`. */
  forReplicas(offset: number, n: number, timeoutMs: number, settle: (o: WaitOutcome) => void): OffsetWait {
    return this.start(new OffsetWait(offset, n, settle), timeoutMs);
  }

  cancel(w: OffsetWait): void {
    if (w.done) return;
    w.done = true;
    if (w.timer !== null) clearTimeout(w.timer);
    const i = this.waits.indexOf(w);
    if (i >= 0) this.waits.splice(i, 1);
  }

  /** Replicas on the master's current history that have applied `offset`. */
  replicasAt(offset: number): number {
    let n = 0;
    for (const r of this.router.replicas) {
      const h = r.health;
      if (h.lastOkAt > 0 && h.replid === this.history.replid && h.offset >= offset) n++;
    }
    return n;
  }

  /** Settles every wait that offsets now satisfy. */
  check(): void {
    if (this.waits.length === 0) return;
    const ws = this.waits;
    // settle() may start new waits: they go to the new list, with the ones still waiting.
    this.waits = [];
    for (const w of ws) {
      if (w.done) continue;
      if (this.reached(w)) {
        w.done = true;
        if (w.timer !== null) clearTimeout(w.timer);
        w.settle("reached");
      } else {
        this.waits.push(w);
      }
    }
  }

  private reached(w: OffsetWait): boolean {
    return w.replicas === 0 ? this.router.someReplicaAt(w.offset) : this.replicasAt(w.offset) >= w.replicas;
  }

  private start(w: OffsetWait, timeoutMs: number): OffsetWait {
    if (this.reached(w)) {
      w.done = true;
      w.settle("reached");
      return w;
    }
    this.waits.push(w);
    w.timer = setTimeout(() => {
      if (w.done) return;
      this.cancel(w);
      w.settle("timeout");
    }, timeoutMs);
    this.wantFreshOffsets();
    return w;
  }
}
