import type { OffsetProbe } from "./offset-probe.js";

/**
 * One request's place in its session's reply order. The backend connection that carries the request fills
 * it with the reply's bytes (a range of the backend's read buffer, forwarded untouched); the session writes
 * filled slots strictly in request order. Slots are recycled by their session's ReplyQueue (a free list),
 * so the hot path allocates none once warm.
 */

export interface ReplyOwner {
  /** A slot of this owner has been filled (the owner batches its writes per backend read). */
  replyReady(slot: PendingReply): void;
  /** A read whose backend went away: route it again (it keeps its place in the reply order). */
  redispatch(slot: PendingReply): boolean;
}

export const SlotState = {
  WAITING: 0,
  READY: 1,
  /** Its session ended: the reply is read off the backend and dropped. */
  CANCELLED: 2,
  /** Filled, but not to be written yet: a write waiting for replicas (PROXY DURABILITY). */
  HELD: 3,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

export class PendingReply {
  state: SlotState = SlotState.WAITING;
  /** The reply bytes: buf[start, end). */
  buf: Buffer | null = null;
  start = 0;
  end = 0;
  /** The request bytes, kept only for reads, which may be sent again to another backend. */
  req: Buffer | null = null;
  /** The request's database (SELECT state at the time it was sent). */
  db = 0;
  /** Reads (idempotent) may be redispatched when their backend is lost. */
  retryable = false;
  /** A read under read-your-writes: the offset a replica must have to serve it (-1: any replica). */
  minOffset = -1;
  /** Set when the session closes the connection after this reply (QUIT). */
  closeAfter = false;
  /** A write whose reply is held for replicas: the probe that learns its offset (else null). */
  durableProbe: OffsetProbe | null = null;
  /** EVALSHA_RO: the script (SHA1) to load on whichever backend serves the read, if it may lack it. */
  scriptSha: string | null = null;

  constructor(public owner: ReplyOwner) {}

  fill(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.state = SlotState.READY;
    this.req = null;
  }

  fillConstant(bytes: Buffer): void {
    this.fill(bytes, 0, bytes.length);
  }

  /** Back to a blank slot for the free list. */
  reset(): void {
    this.state = SlotState.WAITING;
    this.buf = null;
    this.req = null;
    this.retryable = false;
    this.minOffset = -1;
    this.closeAfter = false;
    this.durableProbe = null;
    this.scriptSha = null;
  }
}
