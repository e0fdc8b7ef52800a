import { encodeCommand } from "../resp/reply-writer.js";
import type { ReplicationHistory } from "./consistency.js";
import { PendingReply, type ReplyOwner } from "./pending-reply.js";

/**
 * One read of the master's replication offset, pipelined on a master connection right behind a batch of
 * writes: its answer is an offset at or after every write before it on that connection, so one probe
 * gives the causal token of every write in the batch — no round trip per write.
 *
 * On Tandem servers the probe is `WAITOFFSET 0 0` (answers master_repl_offset at once); on real Redis it is
 * `ROLE` (`*3 master <offset> [...]`). Its reply never reaches a client: the probe is the owner of its own
 * reply slot.
 */

export const ProbeState = {
  PENDING: 0,
  RESOLVED: 1,
  /** The connection died or the master answered something else (an error, a replica's ROLE). */
  FAILED: 2,
} as const;
export type ProbeState = (typeof ProbeState)[keyof typeof ProbeState];

export interface ProbeWaiter {
  probeSettled(p: OffsetProbe): void;
}

export const WAITOFFSET_PROBE = encodeCommand(["WAITOFFSET", "0", "0"]);
export const ROLE_PROBE = encodeCommand(["ROLE"]);

export class OffsetProbe implements ReplyOwner {
  readonly slot: PendingReply = new PendingReply(this);
  state: ProbeState = ProbeState.PENDING;
  /** The master's offset after the batch, and its replid when the answer came (once RESOLVED). */
  offset = -1;
  replid = "";
  /**
   * The master answered at least one request sent before this probe on its connection (since the probe
   * before it). A probe that FAILED without that (the connection was refused or lost first) covers no
   * acknowledged write: the session's token still holds.
   */
  answered = false;
  private waiters: ProbeWaiter[] | null = null;

  constructor(
    readonly command: Buffer,
    private readonly history: ReplicationHistory,
  ) {}

  /** Calls `w.probeSettled` once the probe resolves or fails (at once when it already has). */
  whenSettled(w: ProbeWaiter): void {
    if (this.state !== ProbeState.PENDING) w.probeSettled(this);
    else (this.waiters ??= []).push(w);
  }

  replyReady(slot: PendingReply): void {
    const off = slot.buf === null ? -1 : parseOffsetReply(slot.buf, slot.start, slot.end);
    slot.reset();
    if (off >= 0) {
      this.offset = off;
      // "" while the lag monitor has not polled the master yet (the proxy just started): the session
      // adopts the first replid the monitor learns (see Session.readRequirement).
      this.replid = this.history.replid;
      this.state = ProbeState.RESOLVED;
    } else {
      this.state = ProbeState.FAILED;
    }
    const ws = this.waiters;
    this.waiters = null;
    if (ws !== null) for (const w of ws) w.probeSettled(this);
  }

  redispatch(): boolean {
    return false;
  }
}

/**
 * The offset in `:<n>` (WAITOFFSET) or in a master's ROLE reply (`*3 $6 master :<n> ...`, RESP2 or 3);
 * -1 for anything else (an error, a replica's ROLE).
 */
export function parseOffsetReply(buf: Buffer, start: number, end: number): number {
  let p = start;
  if (buf[p] === 0x2a /* * */) {
    // "*3\r\n$6\r\nmaster\r\n" then the integer.
    const head = buf.latin1Slice(p, Math.min(end, p + 20));
    if (!head.startsWith("*3\r\n$6\r\nmaster\r\n")) return -1;
    p += 16;
  }
  if (buf[p] !== 0x3a /* : */) return -1;
  let n = 0;
  let i = p + 1;
  for (; i < end && buf[i] !== 13; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return i > p + 1 ? n : -1;
}
