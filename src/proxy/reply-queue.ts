import type { Socket } from "node:net";
import { PendingReply, type ReplyOwner, SlotState } from "./pending-reply.js";

/**
 * A session's replies in request order: one PendingReply per request, filled by whichever backend (or the
 * proxy itself) answers, written to the client strictly in order. Contiguous ranges of one backend read
 * are merged into one write; the whole flush is one corked batch.
 */
export class ReplyQueue {
  private readonly slots: PendingReply[] = [];
  private head = 0;
  private readonly free: PendingReply[] = [];

  constructor(private readonly owner: ReplyOwner) {}

  /** Requests whose replies have not been written yet. */
  get size(): number {
    return this.slots.length - this.head;
  }

  /** A new slot at the tail of the order. */
  push(): PendingReply {
    const slot = this.free.pop() ?? new PendingReply(this.owner);
    this.slots.push(slot);
    return slot;
  }

  /** A slot at the tail, already answered with `bytes` (a reply the proxy makes itself). */
  pushConstant(bytes: Buffer): PendingReply {
    const slot = this.push();
    slot.fillConstant(bytes);
    return slot;
  }

  /** True when the head of the order can be written now. */
  get headReady(): boolean {
    return this.head < this.slots.length && this.slots[this.head].state === SlotState.READY;
  }

  /**
   * Writes every ready reply at the head of the order to `s`. Returns true when a reply asked for the
   * connection to be closed after it (QUIT, a protocol error): nothing after it is written.
   */
  flushTo(s: Socket): boolean {
    const q = this.slots;
    let i = this.head;
    let corked = false;
    let cur: Buffer | null = null;
    let curStart = 0;
    let curEnd = 0;
    let closeAfter = false;
    for (; i < q.length; i++) {
      const slot = q[i];
      if (slot.state !== SlotState.READY) break;
      if (cur !== null && slot.buf === cur && slot.start === curEnd) {
        curEnd = slot.end;
      } else {
        if (cur !== null) {
          if (!corked) {
            s.cork();
            corked = true;
          }
          s.write(cur.subarray(curStart, curEnd));
        }
        cur = slot.buf;
        curStart = slot.start;
        curEnd = slot.end;
      }
      closeAfter = slot.closeAfter;
      this.recycle(slot);
      if (closeAfter) {
        i++;
        break;
      }
    }
    if (cur !== null) s.write(curStart === 0 && curEnd === cur.length ? cur : cur.subarray(curStart, curEnd));
    if (corked) s.uncork();
    if (i === q.length) {
      q.length = 0;
      this.head = 0;
    } else {
      this.head = i;
      if (i > 1024 && i * 2 > q.length) {
        q.splice(0, i);
        this.head = 0;
      }
    }
    return closeAfter;
  }

  /** The session ended: replies still to come are read off their backends and dropped. */
  cancelAll(): void {
    for (let i = this.head; i < this.slots.length; i++) this.slots[i].state = SlotState.CANCELLED;
    this.slots.length = 0;
    this.head = 0;
  }

  private recycle(slot: PendingReply): void {
    slot.reset();
    if (this.free.length < 256) this.free.push(slot);
  }
}
