/** Something with requests queued for its socket. */
export interface Flushable {
  flush(): void;
}

/**
 * Write batching across a proxy's backend connections: a connection that queued requests asks once, and
 * once per event-loop turn (setImmediate, after the poll phase has delivered every client chunk that was
 * ready) each such connection writes all its sessions' requests at once. Flushing after each client chunk
 * instead was measured: it costs a syscall per request on the backend side and more CPU per request, and
 * was not faster under redis-benchmark -c 50.
 *
 * One per proxy (owned by ProxyServer, reached through each connection's host), so two proxies in one
 * process keep their own.
 */
export class WriteBatcher {
  private readonly queued: Flushable[] = [];
  private scheduled = false;
  private readonly flushAll = (): void => {
    this.scheduled = false;
    const q = this.queued;
    for (let i = 0; i < q.length; i++) q[i].flush();
    q.length = 0;
  };

  /** Queues `c` for this turn's flush; the caller makes sure it is queued once (its own flag). */
  schedule(c: Flushable): void {
    this.queued.push(c);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }
}
