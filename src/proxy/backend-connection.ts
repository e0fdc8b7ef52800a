import { connect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { SHARED_READ_BUFFER_SIZE } from "../net/direct-reads.js";
import { ProtocolError } from "../resp/protocol-error.js";
import { encodeCommand } from "../resp/reply-writer.js";
import { BackendError } from "./backend-error.js";
import { FrameCutter, type FrameSink } from "./frame-cutter.js";
import type { BackendStats } from "./observability/backend-stats.js";
import { BatchTimer } from "./observability/batch-timer.js";
import type { OffsetProbe } from "./offset-probe.js";
import { type PendingReply, SlotState } from "./pending-reply.js";
import type { WriteBatcher } from "./write-batcher.js";

/**
 * One TCP connection to a backend, multiplexed: requests of many sessions are written in order and a FIFO
 * of their slots matches each reply frame to its request (Redis answers a connection strictly in order).
 *
 * - Writes are batched: requests queued during one event-loop turn are copied into one reusable buffer
 *   and go out in one write (a request too big to copy is written by reference, corked with the rest).
 * - The connection remembers its database and client name; a request from a session with another db or
 *   name is preceded by SELECT / CLIENT SETNAME, whose replies are swallowed (`null` in the FIFO).
 * - Offset probes (read-your-writes): writes of sessions that track their causal token share one probe
 *   per batch, appended after the batch's last request when it is written (see offset-probe.ts).
 * - Tunnel mode (subscriptions, MONITOR): bytes go both ways untouched, no FIFO at all.
 * - When it dies, pending reads are handed back for redispatch and the rest fail with a clear -ERR.
 */

export interface ConnectionHost {
  readonly label: string;
  /** TLS options for connections to this backend (`backend_tls:`), null for plain TCP. */
  readonly tls: ConnectionOptions | null;
  /** Requests in flight on this backend, for the least-outstanding policy. */
  outstanding: number;
  /** Counters for the metrics: requests, errors, latency. */
  readonly stats: BackendStats;
  connectionLost(conn: BackendConnection, err: BackendError): void;
  /** A new offset probe in the form this backend answers (WAITOFFSET on Tandem, ROLE on Redis). */
  newProbe(): OffsetProbe;
  /** Called after each chunk of replies has been delivered (sessions flush their writes then). */
  afterReplies(): void;
  /** The backend answered a read with -LOADING or -MASTERDOWN: it serves no reads until polled again. */
  unavailable(reply: string): void;
  /** Gives back a dedicated connection; `reusable` false when it holds state (MULTI, WATCH, blocked…). */
  release(conn: BackendConnection, reusable: boolean): void;
  /** The proxy's write batching: queued requests go out once per event-loop turn. */
  readonly writes: WriteBatcher;
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
  /** Requests queued this turn, copied in (most are small); reused while writes complete at once. */
  private out: Buffer = Buffer.allocUnsafe(OUT_INITIAL);
  private outLen = 0;
  /** Written before `out` when a request too big to copy was queued: earlier bytes, then that request. */
  private outBefore: Buffer[] | null = null;
  private queuedForFlush = false;
  /** The probe that will follow this batch's requests (null when no tracked write was sent). */
  private probe: OffsetProbe | null = null;
  /**
   * Probes written and not answered yet, in order (from `probesHead`): a reply to a client's request
   * marks the first of them (or the unwritten one) `answered`, the probe that covers that request.
   */
  private probesSent: OffsetProbe[] = [];
  private probesHead = 0;
  /** The db the backend will be in after everything written so far. */
  db = 0;
  /** The name the backend has for this connection (CLIENT SETNAME of the last session that sent on it). */
  name = "";
  /** The RESP version the backend speaks on this connection (HELLO sent by the proxy). */
  proto = 2;
  closed = false;
  connected = false;
  /** The socket event that means the connection is usable ('secureConnect' over TLS). */
  readonly connectEvent: "connect" | "secureConnect";
  /** Tunnel mode: replies are written to this socket as they come. */
  private tunnel: Socket | null = null;
  /** Sessions paused because this connection's socket is full; resumed on 'drain'. */
  readonly drainWaiters: (() => void)[] = [];
  /** Latency per written batch (shared connections only: dedicated ones carry blocking commands). */
  private readonly timer: BatchTimer | null;
  /** FIFO entries answered during the current socket read (timed together when it ends). */
  private answeredInRead = 0;

  constructor(
    readonly host: ConnectionHost,
    address: { host: string; port: number },
    password: string,
    connectTimeoutMs: number,
    readonly dedicated: boolean,
    proto = 2,
  ) {
    this.timer = dedicated ? null : new BatchTimer();
    // With TLS, connected means the handshake is done (the connect timeout covers it); requests written
    // before that are queued by node:tls until then.
    const tls = host.tls;
    const s =
      tls === null
        ? connect({ host: address.host, port: address.port })
        : tlsConnect({ ...tls, host: address.host, port: address.port });
    this.socket = s;
    this.connectEvent = tls === null ? "connect" : "secureConnect";
    s.setNoDelay(true);
    s.setTimeout(connectTimeoutMs);
    s.once(this.connectEvent, () => {
      this.connected = true;
      s.setTimeout(0);
    });
    s.on("timeout", () =>
      this.destroy(
        new BackendError("TANDEM_BACKEND_CONNECT_TIMEOUT", `connect timeout after ${connectTimeoutMs} ms`),
      ),
    );
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("error", (err: NodeJS.ErrnoException) =>
      this.onClose(
        new BackendError(
          this.connected ? "TANDEM_BACKEND_CONNECTION_LOST" : "TANDEM_BACKEND_CONNECT_FAILED",
          err.code ?? err.message,
        ),
      ),
    );
    s.on("close", () =>
      this.onClose(new BackendError("TANDEM_BACKEND_CONNECTION_LOST", "connection closed")),
    );
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

  /**
   * Queues one request (its original bytes) whose reply fills `slot`, preceded by SELECT and CLIENT SETNAME
   * when the connection's db or name is not the requesting session's.
   */
  send(slot: PendingReply, buf: Buffer, start: number, end: number, db: number, name: string): void {
    if (db !== this.db) this.switchDb(db);
    if (name !== this.name) this.switchName(name);
    this.enqueue(buf, start, end);
    this.fifo.push(slot);
    this.host.outstanding++;
    this.host.stats.requests++;
  }

  /**
   * The probe that learns the master's offset after the request just sent (shared by every write of this
   * batch): it goes out after the batch's last request.
   */
  probeAfterLastRequest(): OffsetProbe {
    let p = this.probe;
    if (p === null) {
      p = this.host.newProbe();
      this.probe = p;
      this.scheduleFlush();
    }
    return p;
  }

  /**
   * Sends the pending probe now, before whatever comes next (a dedicated connection about to enter MULTI,
   * where the probe would be queued instead of answered).
   */
  emitProbe(): void {
    const p = this.probe;
    if (p === null) return;
    this.probe = null;
    this.enqueue(p.command, 0, p.command.length);
    this.fifo.push(p.slot);
    this.probesSent.push(p);
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

  /** CLIENT SETNAME (an empty name clears it, as in Redis). */
  switchName(name: string): void {
    this.sendInternal(encodeCommand(["CLIENT", "SETNAME", name]));
    this.name = name;
  }

  /** Tunnel mode: writes bytes with no reply matching. */
  sendRaw(buf: Buffer, start: number, end: number): void {
    this.enqueue(buf, start, end);
  }

  /** From now on, everything the backend sends goes to `client` untouched (after pending replies). */
  startTunnel(client: Socket): void {
    this.tunnel = client;
  }

  /**
   * Queues request bytes for this turn's write. Bytes are copied (a request may sit in a read buffer that
   * is reused as soon as its read callback returns); a request too big to copy cheaply comes from a
   * buffer nobody reuses (the frame cutter's accumulation buffer) and is kept by reference.
   */
  private enqueue(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len > COPY_MAX) {
      this.outBefore ??= [];
      if (this.outLen > 0) {
        this.outBefore.push(this.out.subarray(0, this.outLen));
        this.out = Buffer.allocUnsafe(OUT_INITIAL); // the old one is referenced until written
        this.outLen = 0;
      }
      this.outBefore.push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    } else {
      if (this.outLen + len > this.out.length) this.growOut(this.outLen + len);
      buf.copy(this.out, this.outLen, start, end);
      this.outLen += len;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.queuedForFlush) return;
    this.queuedForFlush = true;
    this.host.writes.schedule(this);
  }

  private growOut(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(needed, this.out.length * 2));
    this.out.copy(bigger, 0, 0, this.outLen);
    this.out = bigger;
  }

  flush(): void {
    this.queuedForFlush = false;
    if (this.probe !== null && !this.closed) {
      const p = this.probe;
      this.probe = null;
      const len = p.command.length;
      if (this.outLen + len > this.out.length) this.growOut(this.outLen + len);
      p.command.copy(this.out, this.outLen);
      this.outLen += len;
      this.fifo.push(p.slot);
      this.probesSent.push(p);
      this.host.outstanding++;
    }
    if (this.closed) {
      this.outLen = 0;
      this.outBefore = null;
      return;
    }
    const s = this.socket;
    const before = this.outBefore;
    if (before !== null) {
      this.outBefore = null;
      s.cork();
      for (const b of before) s.write(b);
      if (this.outLen > 0) s.write(this.out.subarray(0, this.outLen));
      s.uncork();
    } else if (this.outLen > 0) {
      s.write(this.out.subarray(0, this.outLen));
    } else {
      return;
    }
    this.timer?.written(this.fifo.length - this.head);
    // Nothing left in the socket's queue means the kernel took every byte and `out` can be reused;
    // otherwise the stream still holds it and the next turn starts a new one.
    if (s.writableLength > 0 || this.out.length > OUT_KEEP_MAX) this.out = Buffer.allocUnsafe(OUT_INITIAL);
    this.outLen = 0;
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
      if (err instanceof ProtocolError)
        this.destroy(
          new BackendError("TANDEM_BACKEND_PROTOCOL", `protocol error from backend: ${err.message}`),
        );
      else {
        // A bug while handling a reply: the connection ends like on a protocol error (its pending requests
        // get error replies) and the cause is reported; no session may be left waiting on it.
        process.emitWarning(err as Error);
        this.destroy(
          new BackendError(
            "TANDEM_BACKEND_INTERNAL",
            `internal error while handling a reply: ${(err as Error).message}`,
          ),
        );
      }
    }
    if (this.answeredInRead > 0) {
      this.timer?.answered(this.answeredInRead, this.host.stats.latency);
      this.answeredInRead = 0;
    }
    // Always, also after a failure above: replies already filled (and the failure's error replies) are
    // written by this flush; a session marked as having replies is never flushed otherwise.
    this.host.afterReplies();
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.head === this.fifo.length) {
      if (this.tunnel !== null) {
        this.tunnel.write(buf.subarray(start, end));
        return;
      }
      // A reply nobody asked for (e.g. a push): nothing can be matched to it safely any more.
      this.destroy(new BackendError("TANDEM_BACKEND_UNEXPECTED_REPLY", "unexpected reply from backend"));
      return;
    }
    const slot = this.fifo[this.head];
    this.fifo[this.head] = null;
    this.head++;
    this.answeredInRead++;
    if (this.head === this.fifo.length) {
      this.fifo.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
    if (slot === null) return;
    this.host.outstanding--;
    const probe = this.probesHead < this.probesSent.length ? this.probesSent[this.probesHead] : this.probe;
    if (probe !== null && slot === probe.slot) {
      if (++this.probesHead === this.probesSent.length) {
        this.probesSent.length = 0;
        this.probesHead = 0;
      }
    } else if (probe !== null) {
      // The master answered a request this probe covers: a write of its batch may have been acknowledged.
      probe.answered = true;
    }
    const first = buf[start];
    if (first === 0x2d /* - */ || first === 0x21 /* ! */) {
      this.host.stats.errorReplies++;
      // A replica that cannot serve reads right now (a full sync it began between two polls: -LOADING;
      // link down with replica-serve-stale-data no: -MASTERDOWN) leaves the rotation at once, and the read
      // goes elsewhere instead of returning that error to the client.
      if (slot.retryable && slot.state === SlotState.WAITING && unavailableReply(buf, start)) {
        this.host.unavailable(buf.toString("latin1", start + 1, end - 2));
        if (slot.owner.redispatch(slot)) return;
      }
    }
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

  destroy(reason: BackendError): void {
    this.socket.destroy();
    this.onClose(reason);
  }

  private onClose(reason: BackendError): void {
    if (this.closed) return;
    this.closed = true;
    this.outLen = 0;
    this.outBefore = null;
    this.socket.destroy();
    const tunnel = this.tunnel;
    this.tunnel = null;
    const unsentProbe = this.probe;
    this.probe = null;
    this.probesSent = [];
    this.probesHead = 0;
    const pending = this.fifo;
    const from = this.head;
    this.fifo = [];
    this.head = 0;
    const msg = `-ERR Tandem proxy: lost the connection to backend ${this.host.label} (${reason.message})\r\n`;
    // The backend is marked down first, so redispatched reads cannot pick it again.
    this.host.connectionLost(this, reason);
    let error: Buffer | null = null;
    for (let i = from; i < pending.length; i++) {
      const slot = pending[i];
      if (slot === null) continue;
      this.host.outstanding--;
      this.host.stats.connectionErrors++;
      if (slot.state !== SlotState.WAITING) continue;
      if (slot.retryable && slot.owner.redispatch(slot)) continue;
      error ??= Buffer.from(msg, "latin1");
      slot.fillConstant(error);
      slot.owner.replyReady(slot);
    }
    if (unsentProbe !== null) {
      error ??= Buffer.from(msg, "latin1");
      unsentProbe.slot.fillConstant(error);
      unsentProbe.slot.owner.replyReady(unsentProbe.slot);
    }
    for (const resume of this.drainWaiters.splice(0)) resume();
    this.host.afterReplies();
    if (tunnel !== null && !tunnel.destroyed) tunnel.end();
  }
}

const OUT_INITIAL = 16 * 1024;
/** A write buffer grown past this (a burst of big requests) is not kept for the next turn. */
const OUT_KEEP_MAX = 1024 * 1024;
/**
 * Requests up to this size are copied into the write buffer: the shared read buffer's size, so a frame
 * that points into that buffer (at most its size) is always copied.
 */
const COPY_MAX = SHARED_READ_BUFFER_SIZE;
const HELLO2 = encodeCommand(["HELLO", "2"]);
const HELLO3 = encodeCommand(["HELLO", "3"]);

const LOADING = Buffer.from("-LOADING ", "latin1");
const MASTERDOWN = Buffer.from("-MASTERDOWN ", "latin1");

/** An error reply that says the replica cannot serve reads now (not that the read itself failed). */
function unavailableReply(buf: Buffer, start: number): boolean {
  const prefix =
    buf[start + 1] === 0x4c /* L */ ? LOADING : buf[start + 1] === 0x4d /* M */ ? MASTERDOWN : null;
  return prefix !== null && buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}
