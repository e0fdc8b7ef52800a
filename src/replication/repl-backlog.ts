/**
 * The replication backlog (Redis's repl_backlog): a fixed-size ring buffer holding the most recent bytes
 * of the replication stream, so a replica that lost its link for a moment can get only what it missed
 * (PSYNC → +CONTINUE) instead of a full resync.
 *
 * Offsets are replication offsets: the first byte ever written to a stream has offset 1, and
 * `endOffset` is the offset of the last byte written (master_repl_offset).
 */
export class ReplBacklog {
  private buf: Buffer;
  /** Next write position in `buf`. */
  private idx = 0;
  /** Bytes of history held (≤ size): repl_backlog_histlen. */
  histlen = 0;

  /** @param endOffset master_repl_offset when the backlog is created (nothing before it is held). */
  constructor(
    size: number,
    public endOffset: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1, size));
  }

  get size(): number {
    return this.buf.length;
  }

  /** repl_backlog_first_byte_offset: the offset of the oldest byte held. */
  get firstByteOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  /** Appends stream bytes; the oldest bytes fall off when the ring is full. */
  append(data: Buffer): void {
    const size = this.buf.length;
    const n = data.length;
    this.endOffset += n;
    if (n >= size) {
      data.copy(this.buf, 0, n - size, n);
      this.idx = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(n, size - this.idx);
    data.copy(this.buf, this.idx, 0, first);
    if (first < n) data.copy(this.buf, 0, first, n);
    this.idx = (this.idx + n) % size;
    this.histlen = Math.min(size, this.histlen + n);
  }

  /** True when every byte from `offset` on is still held (an offset just past the end is too). */
  holds(offset: number): boolean {
    return offset >= this.firstByteOffset && offset <= this.endOffset + 1;
  }

  /** Copies of the bytes from `offset` to the end (addReplyReplicationBacklog). Requires `holds(offset)`. */
  copyFrom(offset: number): Buffer[] {
    const n = this.endOffset - offset + 1;
    if (n <= 0) return [];
    const size = this.buf.length;
    const start = (this.idx - n + size) % size;
    if (start + n <= size) return [Buffer.from(this.buf.subarray(start, start + n))];
    return [
      Buffer.from(this.buf.subarray(start, size)),
      Buffer.from(this.buf.subarray(0, n - (size - start))),
    ];
  }

  /** CONFIG SET repl-backlog-size: keeps the newest bytes that still fit. */
  resize(newSize: number): void {
    if (newSize === this.buf.length) return;
    const keep = Math.min(this.histlen, newSize);
    const tail = Buffer.concat(this.copyFrom(this.endOffset - keep + 1));
    const endOffset = this.endOffset;
    this.buf = Buffer.allocUnsafe(Math.max(1, newSize));
    this.idx = 0;
    this.histlen = 0;
    this.endOffset = endOffset - keep;
    if (keep > 0) this.append(tail);
  }
}
