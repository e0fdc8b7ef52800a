import { connect, type Socket } from "node:net";
import { encodeCommand } from "../resp/reply-writer.js";
import { FrameCutter, type FrameSink } from "./frame-cutter.js";
import { type PendingReply, SlotState } from "./pending-reply.js";

/**
 * One TCP connection to a backend, multiplexed: requests of many sessions are written in order and a FIFO
 * of their slots matches each reply frame to its request (Redis answers a connection strictly in order).
 *
 * - Writes are batched: ranges queued during one event-loop turn go out in one write — copied into one
 *   buffer when small (the common case: many sessions' short requests), by writev when large — and
 *   ranges that are contiguous in the client's buffer are merged first.
 * - The connection remembers its database; a request for another db is preceded by a SELECT whose reply
 *   is swallowed (`null` in the FIFO).
 * - Tunnel mode (subscriptions, MONITOR): bytes go both ways untouched, no FIFO at all.
 * - When it dies, pending reads are handed back for redispatch and the rest fail with a clear -ERR.
 */

export interface ConnectionHost {
  readonly label: string;
  /** Requests in flight on this backend, for the least-outstanding policy. */
  outstanding: number;
  connectionLost(conn: BackendConnection, reason: string): void;
  /** Called after each chunk of replies has been delivered (sessions flush their writes then). */
  afterReplies(): void;
}

// ─── write batching across connections ───────────────────────────────────────────────────────────────

const toFlush: BackendConnection[] = [];
let flushScheduled = false;

/**
 * Runs once per event-loop turn (setImmediate, after the poll phase has delivered every client chunk that
 * was ready): each connection then writes all its sessions' requests at once. Flushing after each client
 * chunk instead was measured: it costs a syscall per request on the backend side and more CPU per
 * request, and was not faster under redis-benchmark -c 50.
 */
function flushAll(): void {
  flushScheduled = false;
  for (let i = 0; i < toFlush.length; i++) toFlush[i].flush();
  toFlush.length = 0;
}

const selectCache: Buffer[] = [];
function selectCommand(db: number): Buffer {
  let b = selectCache[db];
  if (b === undefined) {
    b = encodeCommand(["SELECT", String(db)]);
    if (db < 1024) selectCache[db] = b;
  }
  return b;
}

export class BackendConnection implements FrameSink {
  readonly socket: Socket;
  /** Slots awaiting replies, oldest at `head`; null = an internal command whose reply is dropped. */
  private fifo: (PendingReply | null)[] = [];
  private head = 0;
  private readonly cutter = new FrameCutter(false);
  private outBufs: Buffer[] = [];
  private outStarts: number[] = [];
  private outEnds: number[] = [];
  private outCount = 0;
  private queuedForFlush = false;
  /** The db the backend will be in after everything written so far. */
  db = 0;
  /** CLIENT SETNAME state on a dedicated connection. */
  name = "";
  /** The RESP version the backend speaks on this connection (HELLO sent by the proxy). */
  proto = 2;
  closed = false;
  connected = false;
  /** Tunnel mode: replies are written to this socket as they come. */
  private tunnel: Socket | null = null;
  /** Sessions paused because this connection's socket is full; resumed on 'drain'. */
  readonly drainWaiters: (() => void)[] = [];

  constructor(
    readonly host: ConnectionHost,
    address: { host: string; port: number },
    password: string,
    connectTimeoutMs: number,
    readonly dedicated: boolean,
    proto = 2,
  ) {
    const s = connect({ host: address.host, port: address.port });
    this.socket = s;
    s.setNoDelay(true);
    s.setTimeout(connectTimeoutMs);
    s.once("connect", () => {
      this.connected = true;
      s.setTimeout(0);
    });
    s.on("timeout", () => this.destroy(`connect timeout after ${connectTimeoutMs} ms`));
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("error", (err: NodeJS.ErrnoException) => this.onClose(err.code ?? err.message));
    s.on("close", () => this.onClose("connection closed"));
    s.on("drain", () => {
      const w = this.drainWaiters.splice(0);
      for (const resume of w) resume();
    });
    if (password !== "") {
      const auth = encodeCommand(["AUTH", password]);
      this.enqueue(auth, 0, auth.length);
      this.fifo.push(null);
    }
    if (proto !== 2) this.switchProto(proto);
  }

  /** Switches the connection's RESP version (HELLO's reply is dropped). */
  switchProto(proto: number): void {
    this.sendInternal(proto === 3 ? HELLO3 : HELLO2);
    this.proto = proto;
  }

  /** Requests written and not yet answered. */
  get pending(): number {
    return this.fifo.length - this.head;
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  // ─── sending ──────────────────────────────────────────────────────────────────────────────────────────

  /** Queues one request (its original bytes) whose reply fills `slot`. */
  send(slot: PendingReply, buf: Buffer, start: number, end: number, db: number): void {
    if (db !== this.db) this.switchDb(db);
    this.enqueue(buf, start, end);
    this.fifo.push(slot);
    this.host.outstanding++;
  }

  /** Queues an internal command (SELECT, CLIENT SETNAME, ...) whose reply is dropped. */
  sendInternal(cmd: Buffer): void {
    this.enqueue(cmd, 0, cmd.length);
    this.fifo.push(null);
  }

  switchDb(db: number): void {
    this.sendInternal(selectCommand(db));
    this.db = db;
  }

  /** Tunnel mode: writes bytes with no reply matching. */
  sendRaw(buf: Buffer, start: number, end: number): void {
    this.enqueue(buf, start, end);
  }

  /** From now on, everything the backend sends goes to `client` untouched (after pending replies). */
  startTunnel(client: Socket): void {
    this.tunnel = client;
  }

  private enqueue(buf: Buffer, start: number, end: number): void {
    const n = this.outCount;
    if (n > 0 && this.outBufs[n - 1] === buf && this.outEnds[n - 1] === start) {
      this.outEnds[n - 1] = end;
    } else {
      this.outBufs[n] = buf;
      this.outStarts[n] = start;
      this.outEnds[n] = end;
      this.outCount = n + 1;
    }
    if (!this.queuedForFlush) {
      this.queuedForFlush = true;
      toFlush.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  flush(): void {
    this.queuedForFlush = false;
    const n = this.outCount;
    if (n === 0 || this.closed) {
      this.outCount = 0;
      return;
    }
    const s = this.socket;
    if (n === 1) {
      const b = this.outBufs[0];
      s.write(
        this.outStarts[0] === 0 && this.outEnds[0] === b.length
          ? b
          : b.subarray(this.outStarts[0], this.outEnds[0]),
      );
    } else {
      let total = 0;
      for (let i = 0; i < n; i++) total += this.outEnds[i] - this.outStarts[i];
      if (total <= COALESCE_MAX) {
        // Many small requests from many sessions: one copy into one buffer is far cheaper than the
        // stream's corked writev (an object per range, then an array of them for the binding).
        const out = Buffer.allocUnsafe(total);
        let at = 0;
        for (let i = 0; i < n; i++) at += this.outBufs[i].copy(out, at, this.outStarts[i], this.outEnds[i]);
        s.write(out);
      } else {
        s.cork();
        for (let i = 0; i < n; i++) s.write(this.outBufs[i].subarray(this.outStarts[i], this.outEnds[i]));
        s.uncork();
      }
    }
    // Drop references so client chunks are not retained by this connection.
    for (let i = 0; i < n; i++) this.outBufs[i] = EMPTY;
    this.outCount = 0;
  }

  // ─── receiving ────────────────────────────────────────────────────────────────────────────────────────

  private onData(chunk: Buffer): void {
    if (this.tunnel !== null && this.head === this.fifo.length && this.cutter.buffered === 0) {
      this.tunnel.write(chunk);
      return;
    }
    try {
      this.cutter.feed(chunk, this);
    } catch (err) {
      this.destroy(`protocol error from backend: ${(err as Error).message}`);
      return;
    }
    this.host.afterReplies();
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.head === this.fifo.length) {
      if (this.tunnel !== null) {
        this.tunnel.write(buf.subarray(start, end));
        return;
      }
      // A reply nobody asked for (e.g. a push): nothing can be matched to it safely any more.
      this.destroy("unexpected reply from backend");
      return;
    }
    const slot = this.fifo[this.head];
    this.fifo[this.head] = null;
    this.head++;
    if (this.head === this.fifo.length) {
      this.fifo.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
    if (slot === null) return;
    this.host.outstanding--;
    if (slot.state === SlotState.WAITING) {
      slot.fill(buf, start, end);
      slot.owner.replyReady(slot);
    }
  }

  // ─── abandoning and failing ───────────────────────────────────────────────────────────────────────────

  /**
   * Hands pending reads to other backends (this one stopped answering or fell behind): each slot keeps
   * its place in its session's order, and the late reply here, if it ever comes, is dropped.
   */
  abandonReads(): void {
    for (let i = this.head; i < this.fifo.length; i++) {
      const slot = this.fifo[i];
      if (slot === null || !slot.retryable || slot.state !== SlotState.WAITING) continue;
      if (slot.owner.redispatch(slot)) {
        this.fifo[i] = null;
        this.host.outstanding--;
      }
    }
  }

  destroy(reason: string): void {
    this.socket.destroy();
    this.onClose(reason);
  }

  private onClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.outCount = 0;
    this.socket.destroy();
    const tunnel = this.tunnel;
    this.tunnel = null;
    const pending = this.fifo;
    const from = this.head;
    this.fifo = [];
    this.head = 0;
    const msg = `-ERR Tandem proxy: lost the connection to backend ${this.host.label} (${reason})\r\n`;
    // The backend is marked down first, so redispatched reads cannot pick it again.
    this.host.connectionLost(this, reason);
    let error: Buffer | null = null;
    for (let i = from; i < pending.length; i++) {
      const slot = pending[i];
      if (slot === null) continue;
      this.host.outstanding--;
      if (slot.state !== SlotState.WAITING) continue;
      if (slot.retryable && slot.owner.redispatch(slot)) continue;
      error ??= Buffer.from(msg, "latin1");
      slot.fillConstant(error);
      slot.owner.replyReady(slot);
    }
    for (const resume of this.drainWaiters.splice(0)) resume();
    this.host.afterReplies();
    if (tunnel !== null && !tunnel.destroyed) tunnel.end();
  }
}

const EMPTY = Buffer.alloc(0);
/** Batches up to this many bytes are copied into one buffer; bigger ones (large values) go by writev. */
const COALESCE_MAX = 16 * 1024;
const HELLO2 = encodeCommand(["HELLO", "2"]);
const HELLO3 = encodeCommand(["HELLO", "3"]);
