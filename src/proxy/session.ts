import type { Socket } from "node:net";
import "../resp/buffer-internals.js";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import { adoptWithDirectReads } from "../net/direct-reads.js";
import { ERR_NOAUTH } from "../resp/error-replies.js";
import type { Backend } from "./backend.js";
import type { BackendConnection } from "./backend-connection.js";
import { type LocalCommandName, Route, type RouteCache } from "./command-route.js";
import {
  type ConsistencyLevel,
  formatToken,
  NOT_COMPARABLE,
  type ReplicationHistory,
} from "./consistency.js";
import type { DrainController } from "./drain.js";
import { FrameCutter, type FrameSink } from "./frame-cutter.js";
import { bulk, LOCAL_COMMANDS, type LocalCommandTarget } from "./local-commands.js";
import type { ProxyStats } from "./observability/proxy-stats.js";
import { type OffsetProbe, ProbeState, type ProbeWaiter } from "./offset-probe.js";
import type { OffsetWait, OffsetWaits, WaitOutcome } from "./offset-waits.js";
import { type PendingReply, type ReplyOwner, SlotState } from "./pending-reply.js";
import { ReplyQueue } from "./reply-queue.js";
import { argvOf, commandName, keep } from "./request-frame.js";
import type { Router } from "./router.js";
import type { ScriptCache } from "./script-cache.js";

/**
 * One client connection to the proxy. Requests are cut into frames; only the command name is decoded on
 * the hot path (the whole argv only for the commands the proxy interprets, local-commands.ts). Each
 * request takes a slot in the ReplyQueue; replies are written strictly in request order, whichever
 * backend answers.
 *
 * Session state — db (SELECT), client name, RESP version, authentication — lives here. It reaches
 * backends this way: every backend connection remembers its db and name, and a request from a session with
 * another db or name is preceded by SELECT / CLIENT SETNAME (replies dropped); a dedicated connection gets
 * both when the session takes it. AUTH is the proxy's own (`requirepass`); backend connections all
 * authenticate with `backend_password`.
 *
 * What the session is doing is one SessionMode, changed only by setMode(). While it waits for something
 * (a dedicated connection, a blocking command's reply, a read's token, earlier replies before a tunnel
 * opens) it is stalled: further requests queue, in order, in a backlog.
 *
 * Read-your-writes (consistency.ts): in `session` consistency, or with PROXY DURABILITY, every request
 * sent to the master is followed (per batch, not per request) by an OffsetProbe on the same connection;
 * the session's token is the master's offset the probes report. A read then goes to an eligible replica
 * that has applied the token, or waits for one (in the proxy, at most ryw_wait_ms), or goes to the master.
 */

export interface SessionContext {
  readonly config: ProxyConfig;
  readonly router: Router;
  readonly routes: RouteCache;
  readonly history: ReplicationHistory;
  readonly waits: OffsetWaits;
  readonly drains: DrainController;
  readonly log: Logger;
  /** Counters for the metrics (read-your-writes and durability waits). */
  readonly stats: ProxyStats;
  /** Script bodies loaded through the proxy, for EVALSHA on backends that lack them. */
  readonly scripts: ScriptCache;
  /** The session has replies ready: it is flushed after the current backend read. */
  markTouched(s: Session): void;
  sessionClosed(s: Session): void;
}

/** A read waiting for its token (mode `read-waiting`); its slot holds its place in the reply order. */
interface WaitingRead {
  readonly req: Buffer;
  readonly slot: PendingReply;
  readonly deadline: number;
  wait: OffsetWait | null;
}

export type SessionMode =
  | { readonly kind: "ready" }
  /** Waiting for a dedicated master connection (MULTI, WATCH, a blocking command, a subscription). */
  | { readonly kind: "acquiring" }
  /** MULTI…EXEC or WATCH: every request goes to this dedicated master connection, in order. */
  | { readonly kind: "pinned"; readonly conn: BackendConnection; inMulti: boolean; watching: boolean }
  /** A blocking command runs on its own connection; the session waits for its reply. */
  | { readonly kind: "blocked"; readonly conn: BackendConnection; readonly slot: PendingReply }
  /** A read waits for the master's offset after this session's writes, then for a replica that has it. */
  | { readonly kind: "read-waiting"; readonly read: WaitingRead }
  /** A subscription's connection is ready; it opens once every earlier reply is written. */
  | { readonly kind: "tunnel-opening"; readonly conn: BackendConnection }
  /** Subscriptions / MONITOR: bytes pass both ways through this connection untouched. */
  | { readonly kind: "tunnel"; readonly conn: BackendConnection };

const READY: SessionMode = { kind: "ready" };
const ACQUIRING: SessionMode = { kind: "acquiring" };

// Read requirements (readRequirement()): an offset ≥ 0, or one of these.
const NO_TOKEN = -1;
const MASTER_ONLY = -2;
const TOKEN_PENDING = -3;

const R = (s: string) => Buffer.from(s, "latin1");
const NOAUTH = R(`-${ERR_NOAUTH}\r\n`);
/**
 * A write while no node accepts writes: the master reports `role:slave` (demoted in a failover) or, under
 * Sentinel, the new master has not yet confirmed its role. The write was not sent anywhere: safe to retry.
 */
const NO_WRITABLE_MASTER = R(
  "-MASTERDOWN Tandem proxy: no master accepts writes right now (failover in progress); the command was not sent, retry\r\n",
);
const NO_REPLICA = R("-ERR Tandem proxy: no eligible replica for this read (no_eligible_replica: error)\r\n");
const TOKEN_UNKNOWN = R(
  "-ERR Tandem proxy: the master's replication offset or history is unknown (the master connection failed); try again\r\n",
);

/** How long PROXY TOKEN waits for the lag monitor to learn the master's history before it answers an error. */
const TOKEN_HISTORY_WAIT_MS = 2000;

const PAUSE_OUTPUT = 1;
const PAUSE_BACKEND = 2;
const PAUSE_BACKLOG = 4;
const BACKLOG_PAUSE_AT = 1024;

function assertNever(x: never): never {
  throw new Error(`unhandled route ${String(x)}`);
}

export class Session implements FrameSink, ReplyOwner, ProbeWaiter, LocalCommandTarget {
  /** Queued for a flush after the current backend read (see SessionContext.markTouched). */
  touchedMark = false;
  readonly log: Logger;
  readonly socket: Socket;
  private readonly cutter = new FrameCutter(true);
  private readonly replies: ReplyQueue;
  private mode: SessionMode = READY;
  private closed = false;
  private backlog: Buffer[] = [];
  private pauseReasons = 0;
  /** SCAN-family cursors: "<db> <cmd> <key>" → the backend that issued the cursor. */
  private scanAffinity: Map<string, Backend> | null = null;
  /** The request being handled by a local command (for forward()). */
  private curBuf: Buffer | null = null;
  private curStart = 0;
  private curEnd = 0;

  // ─── state the local commands see (LocalCommandTarget) ─────────────────────────────────────────────
  db = 0;
  name = "";
  proto = 2;
  authenticated: boolean;
  admin = false;
  level: ConsistencyLevel;
  durabilityReplicas: number;
  durabilityTimeoutMs: number;

  // ─── read-your-writes ───────────────────────────────────────────────────────────────────────────────
  /** Requests to the master are followed by offset probes (session level, or durability on). */
  private tracksWrites = false;
  /** Probes not yet settled, oldest first (usually none or one). */
  private readonly probes: OffsetProbe[] = [];
  /** The session's token: reads need a replica with this offset of this history (-1: none). */
  private tokenReplid = "";
  private tokenOffset = -1;
  /** A probe failed: the master's offset after some write is unknown, so reads go to the master. */
  private masterOnly = false;
  /** PROXY TOKEN replies waiting for their probe. */
  private tokenReplies: { slot: PendingReply; probe: OffsetProbe; since: number }[] = [];
  /** While routing an EVALSHA_RO: its SHA1, for whichever backend the read goes to. */
  private readScriptSha: string | null = null;
  /** Write replies held for replicas (PROXY DURABILITY) until their probe settles. */
  private held: PendingReply[] = [];

  /**
   * `accepted` comes from a server created with `pauseOnConnect: true` (see direct-reads.ts) when
   * `directReads`; a TLS socket (whose handle is node:tls's, not the TCP one) reads through 'data' events.
   */
  constructor(
    readonly id: number,
    accepted: Socket,
    private readonly ctx: SessionContext,
    directReads = true,
  ) {
    const cfg = ctx.config;
    this.authenticated = cfg.requirepass === "";
    this.level = cfg.consistency;
    this.durabilityReplicas = cfg.durability.replicas;
    this.durabilityTimeoutMs = cfg.durability.timeoutMs;
    this.updateTracking();
    this.replies = new ReplyQueue(this);
    this.log = ctx.log.child({ session: id });
    const direct = directReads
      ? adoptWithDirectReads(accepted, (buf, length) => this.onBytes(buf, length))
      : null;
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

  get config(): ProxyConfig {
    return this.ctx.config;
  }

  get router(): Router {
    return this.ctx.router;
  }

  get drains(): DrainController {
    return this.ctx.drains;
  }

  get inTransaction(): boolean {
    return this.mode.kind === "pinned" && this.mode.inMulti;
  }

  /** The one place the mode changes. */
  private setMode(next: SessionMode): void {
    this.mode = next;
  }

  private get stalled(): boolean {
    const k = this.mode.kind;
    return k === "acquiring" || k === "blocked" || k === "read-waiting" || k === "tunnel-opening";
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────────

  /** Input: buf[0, length). `buf` may be the shared read buffer: what is kept past this call is copied. */
  private onBytes(buf: Buffer, length: number): void {
    if (this.closed) return;
    try {
      this.cutter.feed(buf, this, length);
    } catch (err) {
      this.replyAndClose(R(`-ERR ${(err as Error).message}\r\n`));
    }
    this.flushReplies();
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.stalled) {
      this.backlog.push(keep(buf, start, end));
      if (this.backlog.length === BACKLOG_PAUSE_AT) this.pauseFor(PAUSE_BACKLOG);
      return;
    }
    this.dispatch(buf, start, end);
  }

  /** Routes one request frame. */
  private dispatch(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    const mode = this.mode;
    if (mode.kind === "tunnel") {
      mode.conn.sendRaw(buf, start, end);
      return;
    }
    const name = commandName(buf, start, end);
    if (name === null) return; // an empty inline line: Redis ignores it
    const route = this.ctx.routes.routeOf(name);
    if (!this.authenticated && !(route === Route.LOCAL && localCommand(name).beforeAuth)) {
      this.reply(NOAUTH);
      return;
    }
    if (mode.kind === "pinned") {
      this.dispatchPinned(mode, route, name, buf, start, end);
      return;
    }
    const router = this.ctx.router;
    const master = router.master;
    if (
      route !== Route.READ &&
      route !== Route.SCAN &&
      route !== Route.LOCAL &&
      route !== Route.TUNNEL &&
      route !== Route.SCRIPT_READ
    ) {
      // Everything else is sent to the master: never to a node that is not (or not yet) one.
      if (!router.masterWritable()) {
        this.reply(NO_WRITABLE_MASTER);
        return;
      }
    }
    switch (route) {
      case Route.MASTER:
      case Route.EXEC:
      case Route.DISCARD:
      case Route.UNWATCH:
        this.sendToMaster(master.sharedConnection(this.id, this.proto), buf, start, end);
        return;
      case Route.READ:
        this.read(buf, start, end);
        return;
      case Route.SCRIPT: {
        const conn = master.sharedConnection(this.id, this.proto);
        this.prepareScript(master, conn, argvOf(buf, start, end));
        this.sendToMaster(conn, buf, start, end);
        return;
      }
      case Route.SCRIPT_READ: {
        const argv = argvOf(buf, start, end);
        // EVAL_RO loads its script wherever it runs; EVALSHA_RO may need it loaded there first.
        if (argv[0].toLowerCase() === "eval_ro") {
          if (argv.length > 1) this.ctx.scripts.add(argv[1]);
        } else if (argv.length > 1) {
          this.readScriptSha = argv[1];
        }
        this.read(buf, start, end);
        this.readScriptSha = null;
        return;
      }
      case Route.SCAN:
        this.scan(buf, start, end);
        return;
      case Route.LOCAL:
        this.runLocal(name, buf, start, end);
        return;
      case Route.MULTI:
      case Route.WATCH: {
        const req = keep(buf, start, end);
        this.withDedicated(master, (conn) => {
          const pinned: SessionMode = { kind: "pinned", conn, inMulti: false, watching: false };
          this.setMode(pinned);
          this.dispatchPinned(pinned, route, name, req, 0, req.length);
        });
        return;
      }
      case Route.BLOCKING: {
        const req = keep(buf, start, end);
        this.withDedicated(master, (conn) => {
          const slot = this.replies.push();
          this.setMode({ kind: "blocked", conn, slot }); // until the reply comes
          conn.send(slot, req, 0, req.length, this.db, this.name);
          this.trackWrite(conn, slot);
        });
        return;
      }
      case Route.TUNNEL: {
        const req = keep(buf, start, end);
        this.withDedicated(master, (conn) => {
          // Sent once the tunnel opens, so its reply cannot overtake earlier replies.
          this.backlog.unshift(req);
          this.setMode({ kind: "tunnel-opening", conn }); // until every earlier reply is written
          this.maybeOpenTunnel();
        });
        return;
      }
      default:
        assertNever(route);
    }
  }

  private runLocal(name: string, buf: Buffer, start: number, end: number): void {
    this.curBuf = buf;
    this.curStart = start;
    this.curEnd = end;
    localCommand(name).run(this, argvOf(buf, start, end));
    this.curBuf = null;
  }

  /** In a transaction or under WATCH: everything goes to the pinned connection, in order. */
  private dispatchPinned(
    mode: Extract<SessionMode, { kind: "pinned" }>,
    route: Route,
    name: string,
    buf: Buffer,
    start: number,
    end: number,
  ): void {
    if (route === Route.LOCAL && localCommand(name).whenPinned === "local") {
      this.runLocal(name, buf, start, end);
      return;
    }
    const conn = mode.conn;
    let req = buf;
    let reqStart = start;
    let reqEnd = end;
    if (route === Route.SCRIPT || route === Route.SCRIPT_READ) {
      const asEval = this.prepareScript(conn.host as Backend, conn, argvOf(buf, start, end), mode.inMulti);
      if (asEval !== null) {
        req = asEval;
        reqStart = 0;
        reqEnd = asEval.length;
      }
    }
    // A probe still to be sent must go before MULTI: after it, it would be queued instead of answered.
    if (route === Route.MULTI && !mode.inMulti) conn.emitProbe();
    const slot = this.replies.push();
    // Inside MULTI nothing may be slipped in ahead of a request: a CLIENT SETNAME for a name changed since
    // would be queued too and answer an extra element of EXEC's array. It goes after EXEC instead.
    conn.send(slot, req, reqStart, reqEnd, this.db, mode.inMulti ? conn.name : this.name);
    switch (route) {
      case Route.MULTI:
        mode.inMulti = true;
        break;
      case Route.WATCH:
        if (!mode.inMulti) mode.watching = true;
        break;
      case Route.EXEC:
      case Route.DISCARD:
        mode.inMulti = false;
        mode.watching = false;
        break;
      case Route.UNWATCH:
        if (!mode.inMulti) mode.watching = false;
        break;
    }
    // Commands queued inside MULTI take effect at EXEC, whose probe covers them all.
    if (!mode.inMulti) this.trackWrite(conn, slot);
    if (!mode.inMulti && !mode.watching) {
      // The transaction is over: the connection goes back to the pool (its reply is still on the way,
      // which is fine — its FIFO keeps order for whoever takes it next).
      this.setMode(READY);
      conn.host.release(conn, true);
    }
  }

  // ─── sending ────────────────────────────────────────────────────────────────────────────────────────

  /** A request to the master: counts as a write for read-your-writes and durability. */
  private sendToMaster(conn: BackendConnection, buf: Buffer, start: number, end: number): void {
    const slot = this.replies.push();
    slot.db = this.db;
    conn.send(slot, buf, start, end, this.db, this.name);
    if (this.tracksWrites) this.trackWrite(conn, slot);
    if (conn.needsDrain) this.waitDrain(conn);
  }

  /** The probe after the batch this request is in gives the session's next token (and holds durable replies). */
  private trackWrite(conn: BackendConnection, slot: PendingReply): void {
    if (!this.tracksWrites) return;
    const p = conn.probeAfterLastRequest();
    if (this.probes[this.probes.length - 1] !== p) this.probes.push(p);
    if (this.durabilityReplicas > 0) slot.durableProbe = p;
  }

  /**
   * The script cache's part of SCRIPT / EVAL / EVALSHA (any backend): bodies are remembered, EVALSHA gets
   * its script loaded on `b` first if the proxy knows it and has not loaded it there, SCRIPT FLUSH forgets.
   * Inside a transaction nothing may go ahead of the EVALSHA (a SCRIPT LOAD would be queued, and its reply
   * would be an extra element of EXEC's array, which clients pair with their commands one to one): it is
   * returned rewritten as EVAL of the body instead — the same effect and the same reply. Otherwise null:
   * the request goes as it came.
   */
  private prepareScript(
    b: Backend,
    conn: BackendConnection,
    argv: string[],
    inTransaction = false,
  ): Buffer | null {
    if (argv.length < 2) return null; // let the backend word the arity error
    const name = argv[0].toLowerCase();
    const scripts = this.ctx.scripts;
    if (name === "eval" || name === "eval_ro") scripts.add(argv[1]);
    else if (name === "evalsha" || name === "evalsha_ro") {
      if (!inTransaction) this.ensureScript(b, conn, argv[1]);
      else if (!b.scripts.has(argv[1].toLowerCase())) return scripts.evalCommand(argv);
    } else if (name === "script") {
      const sub = argv[1].toLowerCase();
      if (sub === "load" && argv.length === 3) scripts.add(argv[2]);
      else if (sub === "flush") {
        scripts.clear();
        for (const n of this.ctx.router.nodes) n.scripts.clear();
      }
    }
    return null;
  }

  /** Sends `SCRIPT LOAD` of a known script ahead on `conn` when `b` may not have it (its reply is dropped). */
  private ensureScript(b: Backend, conn: BackendConnection, sha: string): void {
    const key = sha.toLowerCase();
    if (b.scripts.has(key)) return;
    const load = this.ctx.scripts.loadCommand(key);
    if (load === null) return;
    conn.sendInternal(load);
    b.scripts.add(key);
  }

  /** A read on `b`'s shared connection; reads on replicas keep their request to be redispatched. */
  private sendRead(b: Backend, buf: Buffer, start: number, end: number, minOffset: number): void {
    const conn = b.sharedConnection(this.id, this.proto);
    const slot = this.replies.push();
    slot.db = this.db;
    if (this.readScriptSha !== null) {
      slot.scriptSha = this.readScriptSha;
      this.ensureScript(b, conn, slot.scriptSha);
    }
    if (b !== this.ctx.router.master) {
      // Kept to send again elsewhere if this backend is lost (a copy when it sits in the shared buffer).
      slot.retryable = true;
      slot.minOffset = minOffset;
      slot.req = keep(buf, start, end);
    }
    conn.send(slot, buf, start, end, this.db, this.name);
    if (conn.needsDrain) this.waitDrain(conn);
  }

  /** A read whose backend went away or fell behind: route it again, keeping its place in the order. */
  redispatch(slot: PendingReply): boolean {
    if (this.closed || slot.req === null) return false;
    const router = this.ctx.router;
    const b = slot.minOffset >= 0 ? (router.pickReplica(slot.minOffset) ?? router.master) : router.pickRead();
    if (b === null) return false;
    const conn = b.sharedConnection(this.id, this.proto);
    if (conn.closed) return false;
    if (slot.scriptSha !== null) this.ensureScript(b, conn, slot.scriptSha);
    conn.send(slot, slot.req, 0, slot.req.length, slot.db, this.name);
    return true;
  }

  // ─── reads ──────────────────────────────────────────────────────────────────────────────────────────

  private read(buf: Buffer, start: number, end: number): void {
    const router = this.ctx.router;
    // Strong reads, and reads while no replica could serve anything, go where eventual reads would.
    if (this.level === "strong") return void this.sendRead(router.master, buf, start, end, NO_TOKEN);
    if (router.eligible.length === 0) return void this.readAnywhere(buf, start, end);
    const need = this.readRequirement();
    if (need === NO_TOKEN) return void this.readAnywhere(buf, start, end);
    if (need === MASTER_ONLY) {
      this.ctx.stats.rywMasterFallbacks++;
      return void this.sendRead(router.master, buf, start, end, NO_TOKEN);
    }
    if (need >= 0) {
      const b = router.pickReplica(need);
      if (b !== null) return void this.sendRead(b, buf, start, end, need);
    }
    if (this.ctx.config.rywWaitMs === 0) {
      this.ctx.stats.rywMasterFallbacks++;
      return void this.sendRead(router.master, buf, start, end, NO_TOKEN);
    }
    // Wait (stalled, so the session's later requests stay behind this read) for the token, then a replica.
    const read: WaitingRead = {
      req: keep(buf, start, end),
      slot: this.replies.push(),
      deadline: Date.now() + this.ctx.config.rywWaitMs,
      wait: null,
    };
    read.slot.db = this.db;
    read.slot.scriptSha = this.readScriptSha;
    this.ctx.stats.rywWaits++;
    this.setMode({ kind: "read-waiting", read });
    this.continueWaitingRead(read);
  }

  /** An eventual read: any eligible replica, else by no_eligible_replica. */
  private readAnywhere(buf: Buffer, start: number, end: number): void {
    const b = this.ctx.router.pickRead();
    if (b === null) this.reply(NO_REPLICA);
    else this.sendRead(b, buf, start, end, NO_TOKEN);
  }

  /**
   * What a read needs now: NO_TOKEN, MASTER_ONLY, TOKEN_PENDING (a probe has not answered yet), or the
   * offset of the master's current history a replica must have applied.
   */
  private readRequirement(): number {
    if (this.probes.length > 0 && this.settleProbes() > 0) return TOKEN_PENDING;
    if (this.masterOnly) return MASTER_ONLY;
    if (this.tokenOffset < 0) return NO_TOKEN;
    if (!this.adoptHistory()) return MASTER_ONLY;
    const need = this.ctx.history.requiredOffset(this.tokenReplid, this.tokenOffset);
    return need === NOT_COMPARABLE ? MASTER_ONLY : need;
  }

  /** Folds settled probes (in order) into the token; returns how many are still pending. */
  private settleProbes(): number {
    const ps = this.probes;
    let i = 0;
    for (; i < ps.length; i++) {
      const p = ps[i];
      if (p.state === ProbeState.PENDING) break;
      if (p.state === ProbeState.RESOLVED) {
        this.raiseToken(p.replid, p.offset);
        this.masterOnly = false;
      } else if (p.answered) {
        // A write of that batch may have been acknowledged at an offset nobody knows: the master only.
        this.masterOnly = true;
      }
      // A probe that failed with nothing before it answered (the master was down: refused, or lost with
      // those writes in flight) covers no acknowledged write. The token stays, so reads keep going to
      // replicas that have the session's acknowledged writes instead of all failing on the dead master.
    }
    if (i > 0) ps.splice(0, i);
    return ps.length;
  }

  /**
   * A token written before the lag monitor's first poll of the master (at start, or after the master
   * connection was lost) has no replid: it names the history that poll finds. False while none is known.
   */
  private adoptHistory(): boolean {
    if (this.tokenReplid === "") this.tokenReplid = this.ctx.history.replid;
    return this.tokenReplid !== "";
  }

  private raiseToken(replid: string, offset: number): void {
    if (replid !== this.tokenReplid || offset > this.tokenOffset) {
      this.tokenReplid = replid;
      this.tokenOffset = offset;
    }
  }

  /** Sends the waiting read where it can go now, or keeps waiting (for a probe, then for a replica). */
  private continueWaitingRead(read: WaitingRead): void {
    const router = this.ctx.router;
    const need = this.readRequirement();
    if (need === TOKEN_PENDING) {
      if (Date.now() < read.deadline) {
        this.probes[0].whenSettled(this);
        return;
      }
      return void this.finishWaitingRead(read, router.master, NO_TOKEN); // the master has every write
    }
    if (need === NO_TOKEN) {
      const b = router.pickRead();
      if (b !== null) return void this.finishWaitingRead(read, b, NO_TOKEN);
      read.slot.fillConstant(NO_REPLICA);
      this.setMode(READY);
      this.replyReady(read.slot);
      this.unstall();
      return;
    }
    if (need === MASTER_ONLY) return void this.finishWaitingRead(read, router.master, NO_TOKEN);
    const b = router.pickReplica(need);
    if (b !== null) return void this.finishWaitingRead(read, b, need);
    const left = read.deadline - Date.now();
    if (left <= 0 || router.eligible.length === 0)
      return void this.finishWaitingRead(read, router.master, NO_TOKEN);
    if (read.wait === null)
      read.wait = this.ctx.waits.forRead(need, left, (o) => this.readWaitSettled(read, o));
  }

  private readWaitSettled(read: WaitingRead, _outcome: WaitOutcome): void {
    if (this.closed || this.mode.kind !== "read-waiting" || this.mode.read !== read) return;
    read.wait = null;
    this.continueWaitingRead(read);
    this.flushReplies();
  }

  private finishWaitingRead(read: WaitingRead, b: Backend, minOffset: number): void {
    if (read.wait !== null) this.ctx.waits.cancel(read.wait);
    const stats = this.ctx.stats;
    stats.rywWaitMs += Date.now() - (read.deadline - this.ctx.config.rywWaitMs);
    if (b === this.ctx.router.master) stats.rywMasterFallbacks++;
    const slot = read.slot;
    const conn = b.sharedConnection(this.id, this.proto);
    if (b !== this.ctx.router.master) {
      slot.retryable = true;
      slot.minOffset = minOffset;
      slot.req = read.req;
    }
    if (slot.scriptSha !== null) this.ensureScript(b, conn, slot.scriptSha);
    conn.send(slot, read.req, 0, read.req.length, slot.db, this.name);
    this.setMode(READY);
    this.unstall();
  }

  /** An offset probe this session registered with has settled. */
  probeSettled(_p: OffsetProbe): void {
    if (this.closed) return;
    const mode = this.mode;
    if (mode.kind === "read-waiting") this.continueWaitingRead(mode.read);
    if (this.tokenReplies.length > 0) this.answerTokenReplies();
    if (this.held.length > 0) this.startDurableWaits();
    this.flushReplies();
  }

  private scan(buf: Buffer, start: number, end: number): void {
    const router = this.ctx.router;
    const argv = argvOf(buf, start, end);
    const isScan = argv[0].toLowerCase() === "scan";
    const cursorAt = isScan ? 1 : 2;
    if (argv.length <= cursorAt) {
      this.sendRead(router.master, buf, start, end, NO_TOKEN); // let the backend word the arity error
      return;
    }
    const key = `${this.db} ${argv[0].toLowerCase()} ${isScan ? "" : argv[1]}`;
    this.scanAffinity ??= new Map();
    let b: Backend | null | undefined = argv[cursorAt] === "0" ? undefined : this.scanAffinity.get(key);
    // A cursor stays where it was issued while that backend serves reads (or finishes a drain).
    if (b !== undefined && b !== router.master && !b.eligible) b = undefined;
    if (b === undefined) {
      // A new scan starts where a read would go now, without waiting (a token not yet met: the master).
      const need = this.level === "strong" ? MASTER_ONLY : this.readRequirement();
      if (need === NO_TOKEN) b = router.pickRead();
      else b = need >= 0 ? (router.pickReplica(need) ?? router.master) : router.master;
      if (b === null) {
        this.reply(NO_REPLICA);
        return;
      }
      if (this.scanAffinity.size > 256) this.scanAffinity.clear();
      this.scanAffinity.set(key, b);
    }
    this.sendRead(b, buf, start, end, NO_TOKEN);
  }

  // ─── tokens and durability (LocalCommandTarget) ─────────────────────────────────────────────────────

  setLevel(level: ConsistencyLevel): void {
    this.level = level;
    if (level === "eventual") {
      // Eventual reads ignore the session's own writes; a later PROXY AFTER sets a token again.
      this.tokenOffset = -1;
      this.tokenReplid = "";
      this.masterOnly = false;
    }
    this.updateTracking();
  }

  setDurability(replicas: number, timeoutMs: number): void {
    this.durabilityReplicas = replicas;
    this.durabilityTimeoutMs = timeoutMs;
    this.updateTracking();
  }

  private updateTracking(): void {
    this.tracksWrites = this.level === "session" || this.durabilityReplicas > 0;
  }

  after(replid: string, offset: number): void {
    // Probes settled first, so the given token is compared with the session's latest own one; a token of
    // another history replaces it (raiseToken).
    this.settleProbes();
    this.raiseToken(replid, offset);
  }

  /**
   * PROXY TOKEN: a probe after everything this session sent to the master (on its current master
   * connection; probes on other connections are folded in too) answers it.
   */
  replyToken(): void {
    const mode = this.mode;
    const conn =
      mode.kind === "pinned" ? mode.conn : this.ctx.router.master.sharedConnection(this.id, this.proto);
    const probe = conn.probeAfterLastRequest();
    if (this.probes[this.probes.length - 1] !== probe) this.probes.push(probe);
    const slot = this.replies.push();
    this.tokenReplies.push({ slot, probe, since: Date.now() });
    probe.whenSettled(this);
  }

  private answerTokenReplies(): void {
    const pending = this.settleProbes();
    const rs = this.tokenReplies;
    let i = 0;
    for (; i < rs.length; i++) {
      const { slot, probe, since } = rs[i];
      if (probe.state === ProbeState.PENDING) break;
      if (
        probe.state === ProbeState.RESOLVED &&
        !this.adoptHistory() &&
        Date.now() - since < TOKEN_HISTORY_WAIT_MS
      ) {
        setTimeout(() => this.probeSettled(probe), this.ctx.config.health.pollIntervalMs);
        break;
      }
      if (probe.state === ProbeState.FAILED || (pending === 0 && this.masterOnly) || this.tokenReplid === "")
        slot.fillConstant(TOKEN_UNKNOWN);
      else slot.fillConstant(bulk(formatToken({ replid: this.tokenReplid, offset: this.tokenOffset })));
      this.replyReady(slot);
    }
    rs.splice(0, i);
  }

  /** Held write replies whose probe has settled wait for replicas now. */
  private startDurableWaits(): void {
    const hs = this.held;
    let kept = 0;
    for (let i = 0; i < hs.length; i++) {
      const slot = hs[i];
      const p = slot.durableProbe;
      if (p === null || slot.state !== SlotState.HELD) continue;
      if (p.state === ProbeState.PENDING) {
        hs[kept++] = slot;
        continue;
      }
      slot.durableProbe = null;
      if (p.state === ProbeState.FAILED) {
        this.releaseHeld(slot, notReplicated(0, this.durabilityReplicas, "the master's offset is unknown"));
        continue;
      }
      const need = this.durabilityReplicas;
      const offset = p.offset;
      const timeout = this.durabilityTimeoutMs;
      this.ctx.waits.forReplicas(offset, need, timeout, (o) => {
        if (this.closed || slot.state !== SlotState.HELD) return;
        if (o === "reached") this.releaseHeld(slot, null);
        else
          this.releaseHeld(
            slot,
            notReplicated(this.ctx.waits.replicasAt(offset), need, `within ${timeout} ms (offset ${offset})`),
          );
        this.flushReplies();
      });
    }
    hs.length = kept;
  }

  /** A held write reply goes out: as it came (`instead` null) or replaced by the durability error. */
  private releaseHeld(slot: PendingReply, instead: Buffer | null): void {
    if (instead !== null) {
      slot.fillConstant(instead);
      this.ctx.stats.durabilityTimeouts++;
    } else slot.state = SlotState.READY;
    this.replyReady(slot);
  }

  // ─── LocalCommandTarget actions ─────────────────────────────────────────────────────────────────────

  reply(bytes: Buffer): void {
    this.replies.pushConstant(bytes);
  }

  replyAndClose(bytes: Buffer): void {
    this.replies.pushConstant(bytes).closeAfter = true;
  }

  forward(): void {
    const buf = this.curBuf as Buffer;
    const mode = this.mode;
    if (mode.kind === "pinned") {
      const slot = this.replies.push();
      mode.conn.send(slot, buf, this.curStart, this.curEnd, this.db, this.name);
      if (!mode.inMulti) this.trackWrite(mode.conn, slot);
    } else {
      this.sendToMaster(
        this.ctx.router.master.sharedConnection(this.id, this.proto),
        buf,
        this.curStart,
        this.curEnd,
      );
    }
  }

  reset(): void {
    const mode = this.mode;
    if (mode.kind === "pinned") {
      mode.conn.host.release(mode.conn, false);
      this.setMode(READY);
    }
    const cfg = this.ctx.config;
    this.db = 0;
    this.name = "";
    this.proto = 2;
    this.authenticated = cfg.requirepass === "";
    this.admin = false;
    this.level = cfg.consistency;
    this.durabilityReplicas = cfg.durability.replicas;
    this.durabilityTimeoutMs = cfg.durability.timeoutMs;
    this.tokenOffset = -1;
    this.tokenReplid = "";
    this.masterOnly = false;
    this.updateTracking();
  }

  // ─── dedicated connections ──────────────────────────────────────────────────────────────────────────

  /** Stalls the session until a dedicated connection is ready, with the session's state replayed on it. */
  private withDedicated(b: Backend, use: (conn: BackendConnection) => void): void {
    this.setMode(ACQUIRING);
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
        this.setMode(READY);
        use(conn);
        this.unstall();
      },
      (err: Error) => {
        if (this.closed) return;
        this.setMode(READY);
        this.reply(
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
    if (this.backlog.length < BACKLOG_PAUSE_AT) this.resumeFor(PAUSE_BACKLOG);
    this.flushReplies();
  }

  private maybeOpenTunnel(): void {
    const mode = this.mode;
    if (mode.kind !== "tunnel-opening" || this.replies.size > 0) return;
    const conn = mode.conn;
    this.setMode({ kind: "tunnel", conn });
    conn.startTunnel(this.socket);
    conn.socket.once("close", () => {
      if (!this.closed) this.socket.end();
    });
    this.unstall();
  }

  // ─── replies ────────────────────────────────────────────────────────────────────────────────────────

  replyReady(slot: PendingReply): void {
    const mode = this.mode;
    if (mode.kind === "blocked" && slot === mode.slot) {
      mode.conn.host.release(mode.conn, !mode.conn.closed);
      this.setMode(READY);
      // Continue after the current batch of replies is written.
      queueMicrotask(() => this.unstall());
    }
    if (slot.durableProbe !== null && slot.state === SlotState.READY) {
      // Error replies were not writes that took effect: they go out at once.
      if (slot.buf !== null && slot.buf[slot.start] === 0x2d /* - */) {
        slot.durableProbe = null;
      } else {
        slot.state = SlotState.HELD;
        this.ctx.stats.durabilityWaits++;
        this.held.push(slot);
        slot.durableProbe.whenSettled(this);
        return;
      }
    }
    if (!this.touchedMark) {
      this.touchedMark = true;
      this.ctx.markTouched(this);
    }
  }

  /** Writes every reply that is ready at the head of the order. */
  flushReplies(): void {
    if (this.closed) return;
    if (this.replies.headReady) {
      if (this.replies.flushTo(this.socket)) {
        this.socket.end();
        this.close();
        return;
      }
      if (this.socket.writableNeedDrain) this.pauseFor(PAUSE_OUTPUT);
    }
    if (this.mode.kind === "tunnel-opening") this.maybeOpenTunnel();
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
    this.replies.cancelAll();
    this.backlog = [];
    this.held = [];
    this.tokenReplies = [];
    // Dedicated connections may hold MULTI/WATCH state, a blocked command or subscriptions: not reusable.
    const mode = this.mode;
    switch (mode.kind) {
      case "pinned":
      case "blocked":
      case "tunnel-opening":
      case "tunnel":
        mode.conn.host.release(mode.conn, false);
        break;
      case "read-waiting":
        if (mode.read.wait !== null) this.ctx.waits.cancel(mode.read.wait);
        break;
      case "ready":
      case "acquiring":
        break;
      default:
        assertNever(mode);
    }
    this.setMode(READY);
    this.ctx.sessionClosed(this);
  }
}

/** The handler of a LOCAL route's command (the name is one of LOCAL_COMMAND_NAMES in any case). */
function localCommand(name: string) {
  return LOCAL_COMMANDS[name.toLowerCase() as LocalCommandName];
}

/**
 * The reply of a write that took effect on the master but did not reach enough replicas in time. Its own
 * error code, so a client can tell it from a write that failed (which has Redis's own error).
 */
function notReplicated(reached: number, wanted: number, why: string): Buffer {
  return R(
    `-NOTREPLICATED Tandem proxy: the write was applied on the master but reached ${reached} of ${wanted} replicas ${why}\r\n`,
  );
}
