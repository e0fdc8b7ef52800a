/**
 * A push-driven async iterable of Buffers: the replica pushes RDB bytes as they arrive from the master and
 * the RDB loader pulls them, so loading overlaps the transfer. `failed` ends the iteration with an error
 * (link lost mid-transfer). `onLow` tells the producer the consumer caught up (resume reading the socket).
 */
export class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  onLow: (() => void) | null = null;

  /** Bytes pushed and not yet consumed. */
  get queuedBytes(): number {
    return this.bytes;
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.wakeUp();
  }

  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  fail(err: Error): void {
    if (this.ended) return;
    this.error = err;
    this.ended = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.error) throw this.error;
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.bytes -= c.length;
        if (this.chunks.length === 0) this.onLow?.();
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
