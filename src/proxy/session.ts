import type { Socket } from "node:net";
import "../resp/buffer-internals.js";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import { adoptWithDirectReads, isSharedReadBuffer } from "../net/direct-reads.js";
import { splitArgs } from "../resp/request-parser.js";
import type { Backend } from "./backend.js";
import type { BackendConnection } from "./backend-connection.js";
import { Route, routeOf } from "./command-route.js";
import { FrameCutter, type FrameSink } from "./frame-cutter.js";
import { PendingReply, type ReplyOwner, SlotState } from "./pending-reply.js";
import type { Router } from "./router.js";

/**
 * One client connection to the proxy. Requests are cut into frames; only the command name is decoded on
 * the hot path (the whole argv only for the few commands the proxy interprets). Each request takes a slot
 * in the pending-reply queue; replies are written strictly in request order, whichever backend answers.
 *
 * Session state — db (SELECT), client name, authentication — lives here. It reaches backends this way:
 * - every backend connection remembers its db and name; a request from a session with another db or name
 *   is preceded by SELECT / CLIENT SETNAME (their replies dropped), so the backend sees each session's
 *   state on whichever connection serves it, at no cost while sessions share a db and set no names;
 * - a dedicated connection (transaction, blocking command, subscription) gets both when the session takes
 *   it, and the next session that borrows it gets its own (an unnamed one clears the name);
 * - the proxy also keeps the name to answer CLIENT GETNAME (and HELLO SETNAME) itself;
 * - AUTH is the proxy's own (`requirepass` in proxy.yaml): backend connections all authenticate with
 *   `backend_password` when they open, so they serve any authenticated session.
 *
 * While the session waits for something (a dedicated connection, a blocking command's reply, its earlier
 * replies before a tunnel opens) it is "stalled": further requests queue in order in a backlog.
 */

export interface SessionContext {
  readonly config: ProxyConfig;
  readonly router: Router;
  readonly log: Logger;
  sessionClosed(s: Session): void;
}

const STAR = 42;
const DOLLAR = 36;
const CR = 13;

// ─── constant replies ────────────────────────────────────────────────────────────────────────────────

const R = (s: string) => Buffer.from(s, "latin1");
const OK = R("+OK\r\n");
const PONG = R("+PONG\r\n");
const RESET_REPLY = R("+RESET\r\n");
const NULL_BULK = R("$-1\r\n");
const NOAUTH = R("-NOAUTH Authentication required.\r\n");
const WRONGPASS = R("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
const AUTH_NOPASS = R(
  "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
);
const SYNTAX = R("-ERR syntax error\r\n");
const NOT_INTEGER = R("-ERR value is not an integer or out of range\r\n");
const DB_RANGE = R("-ERR DB index is out of range\r\n");
const NOPROTO = R("-NOPROTO unsupported protocol version\r\n");
const BAD_NAME = R("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
const NO_REPLICA = R("-ERR Tandem proxy: no eligible replica for this read (no_eligible_replica: error)\r\n");
const CLIENT_REPLY = R("-ERR Tandem proxy: CLIENT REPLY is not supported through the proxy\r\n");
const NULL3 = R("_\r\n");
const CLIENT_TRACKING = R("-ERR Tandem proxy: CLIENT TRACKING is not supported through the proxy\r\n");
const SELECT_IN_MULTI = R("-ERR Tandem proxy: SELECT inside MULTI is not supported through the proxy\r\n");
const wrongArgs = (cmd: string) => R(`-ERR wrong number of arguments for '${cmd.toLowerCase()}' command\r\n`);
const bulk = (s: string) => R(`$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`);

// ─── batching of client writes ───────────────────────────────────────────────────────────────────────

/** Sessions with replies ready, flushed once per backend read (so one chunk of replies = one write each). */
const touched: Session[] = [];

export function flushTouchedSessions(): void {
  for (let i = 0; i < touched.length; i++) {
    const s = touched[i];
    s.touchedMark = false;
    s.flushReplies();
  }
  touched.length = 0;
}

export class Session implements FrameSink, ReplyOwner {
  touchedMark = false;
  private readonly cutter = new FrameCutter(true);
  private readonly queue: PendingReply[] = [];
  private qHead = 0;
  private readonly free: PendingReply[] = [];
  private db = 0;
  private name = "";
  /** RESP version chosen with HELLO; selects which backend connections serve the session. */
  private proto = 2;
  private authenticated: boolean;
  private closed = false;
  // Pinning: a dedicated master connection for MULTI…EXEC and WATCH.
  private pinned: BackendConnection | null = null;
  private inMulti = false;
  private watching = false;
  // A blocking command in flight on its own connection; the session waits for its reply.
  private blockingConn: BackendConnection | null = null;
  private blockingSlot: PendingReply | null = null;
  // Tunnel (subscriptions, MONITOR): everything passes through this connection untouched.
  private tunnel: BackendConnection | null = null;
  private tunnelPending: BackendConnection | null = null;
  // Stall: requests wait in order until the session can route them.
  private stalled = false;
  private backlog: Buffer[] = [];
  private pauseReasons = 0;
  /** SCAN-family cursors: "<cmd> <key>" → the backend that issued the cursor. */
  private scanAffinity: Map<string, Backend> | null = null;
  readonly log: Logger;

  readonly socket: Socket;

  /** `accepted` comes from a server created with `pauseOnConnect: true` (see direct-reads.ts). */
  constructor(
    readonly id: number,
    accepted: Socket,
    private readonly ctx: SessionContext,
  ) {
    this.authenticated = ctx.config.requirepass === "";
    this.log = ctx.log.child({ session: id });
    const direct = adoptWithDirectReads(accepted, (buf, length) => this.onBytes(buf, length));
    const socket = direct ?? accepted;
    this.socket = socket;
    socket.setNoDelay(true);
    if (direct === null) {
      socket.on("data", (chunk: Buffer) => this.onBytes(chunk, chunk.length));
      socket.resume();
    }
    socket.on("drain", () => this.resumeFor(PAUSE_OUTPUT));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────────

  /** Input: buf[0, length). `buf` may be the shared read buffer: what is kept past this call is copied. */
  private onBytes(buf: Buffer, length: number): void {
    if (this.closed) return;
    try {
      this.cutter.feed(buf, this, length);
    } catch (err) {
      this.localReply(R(`-ERR ${(err as Error).message}\r\n`)).closeAfter = true;
    }
    this.flushReplies();
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.stalled) {
      this.backlog.push(keep(buf, start, end));
      if (this.backlog.length === 1024) this.pauseFor(PAUSE_BACKLOG);
      return;
    }
    this.dispatch(buf, start, end);
  }

  /** Routes one request frame. */
  private dispatch(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    if (this.tunnel !== null) {
      this.tunnel.sendRaw(buf, start, end);
      return;
    }
    const name = commandName(buf, start, end);
    if (name === null) return; // an empty inline line: Redis ignores it
    const route = routeOf(name);
    if (!this.authenticated && route !== Route.AUTH && route !== Route.HELLO && route !== Route.QUIT) {
      this.localReply(NOAUTH);
      return;
    }
    if (this.pinned !== null && route !== Route.QUIT && route !== Route.AUTH && route !== Route.HELLO) {
      this.dispatchPinned(route, buf, start, end);
      return;
    }
    switch (route) {
      case Route.MASTER:
      case Route.EXEC:
      case Route.DISCARD:
      case Route.UNWATCH:
        this.send(this.ctx.router.master, buf, start, end, false);
        return;
      case Route.READ: {
        const b = this.ctx.router.pickRead();
        if (b === null) this.localReply(NO_REPLICA);
        else this.send(b, buf, start, end, b !== this.ctx.router.master);
        return;
      }
      case Route.SCAN:
        this.scan(buf, start, end);
        return;
      default:
        this.special(route, argvOf(buf, start, end), buf, start, end);
    }
  }

  /** Sends a request on this session's shared connection to `b`. */
  private send(b: Backend, buf: Buffer, start: number, end: number, retryable: boolean): PendingReply {
    const conn = b.sharedConnection(this.id, this.proto);
    const slot = this.newSlot();
    slot.db = this.db;
    if (retryable) {
      // Kept to send again elsewhere if this backend is lost (a copy when it sits in the shared buffer).
      slot.retryable = true;
      slot.req = keep(buf, start, end);
    }
    conn.send(slot, buf, start, end, this.db, this.name);
    if (conn.needsDrain) this.waitDrain(conn);
    return slot;
  }

  /** A read whose backend went away or fell behind: route it again, keeping its place in the order. */
  redispatch(slot: PendingReply): boolean {
    if (this.closed || slot.req === null) return false;
    const b = this.ctx.router.pickRead();
    if (b === null) return false;
    const conn = b.sharedConnection(this.id, this.proto);
    if (conn.closed) return false;
    conn.send(slot, slot.req, 0, slot.req.length, slot.db, this.name);
    return true;
  }

  private scan(buf: Buffer, start: number, end: number): void {
    const argv = argvOf(buf, start, end);
    const isScan = argv[0].toLowerCase() === "scan";
    const cursorAt = isScan ? 1 : 2;
    if (argv.length <= cursorAt) {
      this.send(this.ctx.router.master, buf, start, end, false); // let the backend word the arity error
      return;
    }
    const key = `${this.db} ${argv[0].toLowerCase()} ${isScan ? "" : argv[1]}`;
    this.scanAffinity ??= new Map();
    let b: Backend | null | undefined = argv[cursorAt] === "0" ? undefined : this.scanAffinity.get(key);
    // A cursor stays where it was issued, unless that backend has become unusable.
    if (b !== undefined && b !== this.ctx.router.master && !b.eligible) b = undefined;
    if (b === undefined) {
      b = this.ctx.router.pickRead();
      if (b === null) {
        this.localReply(NO_REPLICA);
        return;
      }
      if (this.scanAffinity.size > 256) this.scanAffinity.clear();
      this.scanAffinity.set(key, b);
    }
    this.send(b, buf, start, end, false);
  }

  // ─── commands the proxy interprets ──────────────────────────────────────────────────────────────────

  private special(route: number, argv: string[], buf: Buffer, start: number, end: number): void {
    const cfg = this.ctx.config;
    switch (route) {
      case Route.PING:
        if (argv.length > 2) this.localReply(wrongArgs("ping"));
        else this.localReply(argv.length === 2 ? bulk(argv[1]) : PONG);
        return;
      case Route.QUIT:
        this.localReply(OK).closeAfter = true;
        return;
      case Route.AUTH:
        this.localReply(this.auth(argv));
        return;
      case Route.HELLO:
        this.localReply(this.hello(argv));
        return;
      case Route.SELECT: {
        if (argv.length !== 2) return void this.localReply(wrongArgs("select"));
        const n = /^-?\d+$/.test(argv[1]) ? Number(argv[1]) : Number.NaN;
        if (!Number.isSafeInteger(n)) return void this.localReply(NOT_INTEGER);
        if (n < 0 || n >= cfg.databases) return void this.localReply(DB_RANGE);
        this.db = n;
        this.localReply(OK);
        return;
      }
      case Route.CLIENT: {
        const sub = (argv[1] ?? "").toLowerCase();
        if (sub === "setname") {
          if (argv.length !== 3) return void this.localReply(wrongArgs("client|setname"));
          if (!/^[!-~]*$/.test(argv[2])) return void this.localReply(BAD_NAME);
          this.name = argv[2];
          this.localReply(OK);
        } else if (sub === "getname") {
          if (argv.length !== 2) return void this.localReply(wrongArgs("client|getname"));
          this.localReply(this.name === "" ? (this.proto === 3 ? NULL3 : NULL_BULK) : bulk(this.name));
        } else if (sub === "reply" || sub === "tracking") {
          // Both would break the one-reply-per-request matching on shared connections.
          this.localReply(sub === "reply" ? CLIENT_REPLY : CLIENT_TRACKING);
        } else {
          this.send(this.ctx.router.master, buf, start, end, false);
        }
        return;
      }
      case Route.RESET:
        this.reset();
        this.localReply(RESET_REPLY);
        return;
      // These three wait for a dedicated connection, so the request is kept (copied) first.
      case Route.MULTI:
      case Route.WATCH: {
        const req = keep(buf, start, end);
        this.withDedicated(this.ctx.router.master, (conn) => {
          this.pinned = conn;
          this.dispatchPinned(route, req, 0, req.length);
        });
        return;
      }
      case Route.BLOCKING: {
        const req = keep(buf, start, end);
        this.withDedicated(this.ctx.router.master, (conn) => {
          const slot = this.newSlot();
          this.blockingConn = conn;
          this.blockingSlot = slot;
          this.stalled = true; // until the reply comes
          conn.send(slot, req, 0, req.length, this.db, this.name);
        });
        return;
      }
      case Route.TUNNEL: {
        const req = keep(buf, start, end);
        this.withDedicated(this.ctx.router.master, (conn) => {
          // Sent once the tunnel opens, so its reply cannot overtake earlier replies.
          this.backlog.unshift(req);
          this.tunnelPending = conn;
          this.stalled = true; // until every earlier reply is written
          this.maybeOpenTunnel();
        });
        return;
      }
      default:
        this.send(this.ctx.router.master, buf, start, end, false);
    }
  }

  /** In a transaction or under WATCH: everything goes to the pinned connection, in order. */
  private dispatchPinned(route: number, buf: Buffer, start: number, end: number): void {
    const conn = this.pinned as BackendConnection;
    if (route === Route.SELECT) {
      if (this.inMulti) return void this.localReply(SELECT_IN_MULTI);
      this.special(route, argvOf(buf, start, end), buf, start, end);
      return;
    }
    if (
      route === Route.RESET ||
      (route === Route.CLIENT &&
        /^\*\d+\r\n\$6\r\nclient\r\n\$7\r\n(setname|getname)/i.test(
          buf.toString("latin1", start, Math.min(end, start + 40)),
        ))
    ) {
      this.special(route, argvOf(buf, start, end), buf, start, end);
      return;
    }
    const slot = this.newSlot();
    conn.send(slot, buf, start, end, this.db, this.name);
    switch (route) {
      case Route.MULTI:
        this.inMulti = true;
        break;
      case Route.WATCH:
        if (!this.inMulti) this.watching = true;
        break;
      case Route.EXEC:
      case Route.DISCARD:
        this.inMulti = false;
        this.watching = false;
        break;
      case Route.UNWATCH:
        if (!this.inMulti) this.watching = false;
        break;
    }
    if (!this.inMulti && !this.watching) {
      // The transaction is over: the connection goes back to the pool (its reply is still on the way,
      // which is fine — its FIFO keeps order for whoever takes it next).
      this.pinned = null;
      this.ctx.router.master.release(conn, true);
    }
  }

  /** Stalls the session until a dedicated connection is ready, with the session's state replayed on it. */
  private withDedicated(b: Backend, use: (conn: BackendConnection) => void): void {
    this.stalled = true;
    b.acquire().then(
      (conn) => {
        if (this.closed) {
          b.release(conn, true);
          return;
        }
        if (conn.proto !== this.proto) conn.switchProto(this.proto);
        // Also done by send(), but a tunnel's first request goes out raw.
        if (conn.db !== this.db) conn.switchDb(this.db);
        if (conn.name !== this.name) conn.switchName(this.name);
        this.stalled = false;
        use(conn);
        this.unstall();
      },
      (err: Error) => {
        if (this.closed) return;
        this.stalled = false;
        this.localReply(
          R(`-ERR Tandem proxy: no connection to backend ${b.label}: ${err.message.split("\n")[0]}\r\n`),
        );
        this.unstall();
      },
    );
  }

  private unstall(): void {
    while (!this.stalled && !this.closed && this.backlog.length > 0) {
      const f = this.backlog.shift() as Buffer;
      this.dispatch(f, 0, f.length);
    }
    if (this.backlog.length < 1024) this.resumeFor(PAUSE_BACKLOG);
    this.flushReplies();
  }

  private maybeOpenTunnel(): void {
    const conn = this.tunnelPending;
    if (conn === null || this.qHead < this.queue.length) return;
    this.tunnelPending = null;
    this.tunnel = conn;
    conn.startTunnel(this.socket);
    conn.socket.once("close", () => {
      if (!this.closed) this.socket.end();
    });
    this.stalled = false;
    this.unstall();
  }

  private auth(argv: string[]): Buffer {
    const pass = this.ctx.config.requirepass;
    if (argv.length < 2) return wrongArgs("auth");
    if (argv.length > 3) return SYNTAX;
    if (pass === "") return AUTH_NOPASS;
    const user = argv.length === 3 ? argv[1] : "default";
    const given = argv[argv.length - 1];
    if (user !== "default" || given !== pass) return WRONGPASS;
    this.authenticated = true;
    return OK;
  }

  private hello(argv: string[]): Buffer {
    let proto = 2;
    if (argv.length >= 2) {
      const v = /^-?\d+$/.test(argv[1]) ? Number(argv[1]) : Number.NaN;
      if (!Number.isSafeInteger(v)) return R("-ERR Protocol version is not an integer or out of range\r\n");
      if (v !== 2 && v !== 3) return NOPROTO;
      proto = v;
    }
    let name: string | null = null;
    for (let i = 2; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === "auth" && i + 2 < argv.length) {
        const r = this.auth(["auth", argv[i + 1], argv[i + 2]]);
        if (r !== OK) return r;
        i += 2;
      } else if (opt === "setname" && i + 1 < argv.length) {
        name = argv[++i];
        if (!/^[!-~]*$/.test(name)) return BAD_NAME;
      } else {
        return R(`-ERR Syntax error in HELLO option '${argv[i]}'\r\n`);
      }
    }
    if (!this.authenticated)
      return R(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
      );
    if (name !== null) this.name = name;
    if (argv.length >= 2) this.proto = proto;
    else proto = this.proto;
    const fields: [string, string | number][] = [
      ["server", "redis"],
      ["version", "7.0.15"],
      ["proto", proto],
      ["id", this.id],
      ["mode", "standalone"],
      ["role", "master"],
    ];
    let out = proto === 3 ? `%${fields.length + 1}\r\n` : `*${fields.length * 2 + 2}\r\n`;
    for (const [k, v] of fields)
      out += `$${k.length}\r\n${k}\r\n${typeof v === "number" ? `:${v}` : `$${v.length}\r\n${v}`}\r\n`;
    out += "$7\r\nmodules\r\n*0\r\n";
    return R(out);
  }

  private reset(): void {
    if (this.pinned !== null) {
      this.ctx.router.master.release(this.pinned, false);
      this.pinned = null;
    }
    this.inMulti = false;
    this.watching = false;
    this.db = 0;
    this.name = "";
    this.proto = 2;
    this.authenticated = this.ctx.config.requirepass === "";
  }

  // ─── replies ────────────────────────────────────────────────────────────────────────────────────────

  private newSlot(): PendingReply {
    const slot = this.free.pop() ?? new PendingReply(this);
    this.queue.push(slot);
    return slot;
  }

  private localReply(bytes: Buffer): PendingReply {
    const slot = this.newSlot();
    slot.fillConstant(bytes);
    return slot;
  }

  replyReady(slot: PendingReply): void {
    if (slot === this.blockingSlot) {
      const conn = this.blockingConn as BackendConnection;
      this.blockingSlot = null;
      this.blockingConn = null;
      this.ctx.router.master.release(conn, !conn.closed);
      this.stalled = false;
      // Continue after the current batch of replies is written.
      queueMicrotask(() => this.unstall());
    }
    if (!this.touchedMark) {
      this.touchedMark = true;
      touched.push(this);
    }
  }

  /** Writes every reply that is ready at the head of the queue, merging contiguous ranges. */
  flushReplies(): void {
    const q = this.queue;
    let i = this.qHead;
    if (i >= q.length || q[i].state !== SlotState.READY || this.closed) {
      if (this.tunnelPending !== null) this.maybeOpenTunnel();
      return;
    }
    const s = this.socket;
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
      if (slot.closeAfter) {
        closeAfter = true;
        i++;
        this.recycle(slot);
        break;
      }
      this.recycle(slot);
    }
    if (cur !== null) s.write(curStart === 0 && curEnd === cur.length ? cur : cur.subarray(curStart, curEnd));
    if (corked) s.uncork();
    if (i === q.length) {
      q.length = 0;
      this.qHead = 0;
    } else {
      this.qHead = i;
      if (i > 1024 && i * 2 > q.length) {
        q.splice(0, i);
        this.qHead = 0;
      }
    }
    if (closeAfter) {
      s.end();
      this.close();
      return;
    }
    if (s.writableNeedDrain) this.pauseFor(PAUSE_OUTPUT);
    if (this.tunnelPending !== null) this.maybeOpenTunnel();
  }

  private recycle(slot: PendingReply): void {
    slot.state = SlotState.WAITING;
    slot.buf = null;
    slot.req = null;
    slot.retryable = false;
    slot.closeAfter = false;
    if (this.free.length < 256) this.free.push(slot);
  }

  // ─── flow control ───────────────────────────────────────────────────────────────────────────────────

  private pauseFor(reason: number): void {
    if (this.pauseReasons === 0) this.socket.pause();
    this.pauseReasons |= reason;
  }

  private resumeFor(reason: number): void {
    if (!(this.pauseReasons & reason)) return;
    this.pauseReasons &= ~reason;
    if (this.pauseReasons === 0 && !this.closed) this.socket.resume();
  }

  private waitDrain(conn: BackendConnection): void {
    if (this.pauseReasons & PAUSE_BACKEND) return;
    this.pauseFor(PAUSE_BACKEND);
    conn.drainWaiters.push(() => this.resumeFor(PAUSE_BACKEND));
  }

  // ─── end ────────────────────────────────────────────────────────────────────────────────────────────

  /** The client went away: pending replies are dropped when they come, dedicated connections closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (let i = this.qHead; i < this.queue.length; i++) this.queue[i].state = SlotState.CANCELLED;
    this.queue.length = 0;
    this.backlog = [];
    const master = this.ctx.router.master;
    // Dedicated connections may hold MULTI/WATCH state, a blocked command or subscriptions: not reusable.
    if (this.pinned) master.release(this.pinned, false);
    if (this.blockingConn) master.release(this.blockingConn, false);
    if (this.tunnel) master.release(this.tunnel, false);
    if (this.tunnelPending) master.release(this.tunnelPending, false);
    this.pinned = this.blockingConn = this.tunnel = this.tunnelPending = null;
    this.ctx.sessionClosed(this);
  }
}

const PAUSE_OUTPUT = 1;
const PAUSE_BACKEND = 2;
const PAUSE_BACKLOG = 4;

/** buf[start, end) as a buffer that outlives the read callback (a copy if it is in the shared buffer). */
function keep(buf: Buffer, start: number, end: number): Buffer {
  if (!isSharedReadBuffer(buf)) return buf.subarray(start, end);
  const copy = Buffer.allocUnsafe(end - start);
  buf.copy(copy, 0, start, end);
  return copy;
}

// ─── decoding just enough of a request ───────────────────────────────────────────────────────────────

/** The command name of a request frame (RESP multibulk or inline); null for an empty inline line. */
function commandName(buf: Buffer, start: number, end: number): string | null {
  if (buf[start] === STAR) {
    let p = buf.indexOf(CR, start);
    // "*0" and "*-1" are skipped without a reply, as Redis does.
    if (p - start < 2 || buf[start + 1] === 45 || (p - start === 2 && buf[start + 1] === 48)) return null;
    p += 2; // past "*<n>\r\n"
    if (p >= end || buf[p] !== DOLLAR) return "";
    const nl = buf.indexOf(CR, p);
    let len = 0;
    for (let i = p + 1; i < nl; i++) len = len * 10 + buf[i] - 48;
    const from = nl + 2;
    return buf.latin1Slice(from, from + len);
  }
  const line = buf.latin1Slice(start, end).trim();
  if (line === "") return null;
  const sp = line.search(/\s/);
  return sp < 0 ? line : line.slice(0, sp);
}

/** The whole argv of a request (latin1), for the rare commands the proxy interprets itself. */
function argvOf(buf: Buffer, start: number, end: number): string[] {
  if (buf[start] !== STAR) return splitArgs(buf.latin1Slice(start, end).trim()) ?? [];
  const out: string[] = [];
  let p = buf.indexOf(CR, start);
  let n = 0;
  for (let i = start + 1; i < p; i++) n = n * 10 + buf[i] - 48;
  p += 2;
  for (let k = 0; k < n && p < end; k++) {
    const nl = buf.indexOf(CR, p);
    let len = 0;
    for (let i = p + 1; i < nl; i++) len = len * 10 + buf[i] - 48;
    out.push(buf.latin1Slice(nl + 2, nl + 2 + len));
    p = nl + 2 + len + 2;
  }
  return out;
}
