import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { ReplicaClientHandle } from "../replication/replication-host.js";
import { ProtocolError } from "../resp/protocol-error.js";
import { ReplyWriter } from "../resp/reply-writer.js";
import { RequestParser, type RequestSink } from "../resp/request-parser.js";
import type { Database } from "../store/database.js";
import type { AclUser } from "./acl/acl-user.js";
import type { RegisteredCommand } from "./command-registry.js";
import type { Server } from "./server.js";

/**
 * One connection's state (Redis's `client` struct): its socket, the request parser and reply writer, the
 * selected db, auth, name, transaction, pub/sub and blocking state.
 *
 * Flow: socket data → parser → `onCommand` → server.processCommand → replies into `reply` → `flush()`
 * at the end of the event-loop turn (server.queueFlush, after the replicas are fed), one corked write per
 * client per turn, so pipelines cost one syscall.
 */

// ─── flags (Redis's CLIENT_* names) ─────────────────────────────────────────────────────────────────────

export const ClientFlag = {
  MULTI: 1 << 0,
  DIRTY_CAS: 1 << 1,
  DIRTY_EXEC: 1 << 2,
  PUBSUB: 1 << 3,
  BLOCKED: 1 << 4,
  CLOSE_AFTER_REPLY: 1 << 5,
  /** The connection to our master (on a replica): replies are discarded, writes always allowed. */
  MASTER: 1 << 6,
  /** A replica attached to us (on a master): gets the replication stream, not replies. */
  SLAVE: 1 << 7,
  /** Do not propagate the current command (set by handlers that propagate something else). */
  PREVENT_PROP: 1 << 8,
  CLOSE_ASAP: 1 << 9,
  /** CLIENT REPLY OFF / SKIP: replies are dropped (SKIP_NEXT turns into SKIP after the current command). */
  REPLY_OFF: 1 << 10,
  REPLY_SKIP: 1 << 11,
  REPLY_SKIP_NEXT: 1 << 12,
  /** CLIENT NO-EVICT on (Tandem never evicts: kept for CLIENT LIST). */
  NO_EVICT: 1 << 13,
  /** CLIENT NO-TOUCH on. */
  NO_TOUCH: 1 << 14,
  /** In MONITOR mode (Redis marks these CLIENT_SLAVE|CLIENT_MONITOR; Tandem keeps SLAVE for replicas). */
  MONITOR: 1 << 15,
  /** CLIENT TRACKING on, and its modes (Redis's CLIENT_TRACKING_*). */
  TRACKING: 1 << 16,
  TRACKING_BROKEN_REDIR: 1 << 17,
  TRACKING_BCAST: 1 << 18,
  TRACKING_OPTIN: 1 << 19,
  TRACKING_OPTOUT: 1 << 20,
  /** CLIENT CACHING yes/no given for the next command. */
  TRACKING_CACHING: 1 << 21,
  TRACKING_NOLOOP: 1 << 22,
  /** The client replaying the append-only file (Redis's CLIENT_ID_AOF): like the master, it must be obeyed. */
  AOF: 1 << 23,
  /** Blocking commands answer at once instead of blocking (the scripts' client, Redis's CLIENT_DENY_BLOCKING). */
  DENY_BLOCKING: 1 << 24,
} as const;

const REPLY_FLAGS = ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT;
const QUIET_FLAGS = ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP;
/** Flags that need work after each command (Redis's resetClient): one test covers them all. */
const AFTER_COMMAND_FLAGS = REPLY_FLAGS | ClientFlag.TRACKING_CACHING;

/** Replies buffered past this are written out between the commands of one chunk (not only at its end). */
const OUTPUT_FLUSH_BYTES = 64 * 1024;
/**
 * Output queued in the socket past which the client's remaining commands wait until the socket drains: a
 * client that pipelines many large GETs and never reads cannot make the server buffer their replies.
 */
const OUTPUT_PAUSE_BYTES = 1024 * 1024;

/** Why a client is blocked, for CLIENT LIST and CLIENT UNBLOCK. */
export type BlockKind =
  | "list"
  | "zset"
  | "stream"
  | "wait"
  | "waitoffset"
  | "sleep"
  | "module"
  | "pause"
  | "script";

export interface BlockState {
  kind: BlockKind;
  /** Absolute ms deadline, 0 for none. */
  deadline: number;
  timer: NodeJS.Timeout | null;
  /** Called when the deadline passes (must write the timeout reply). */
  onTimeout: () => void;
  /** Called if the client disconnects or is unblocked by CLIENT UNBLOCK ... ERROR while blocked. */
  onCancel?: (reason: "disconnect" | "unblock-error" | "unblock-timeout") => void;
}

/** A replica's REPLCONF announcements (Redis's slave_listening_port, slave_addr, slave_capa) and handle. */
export interface ReplicaClientState {
  port: number;
  ip: string;
  capa: number;
  handle: ReplicaClientHandle | null;
}

export interface QueuedCommand {
  cmd: RegisteredCommand;
  argv: string[];
}

/** The longest delay a Node timer honours. */
const MAX_TIMER_MS = 2147483647;

export class Client implements RequestSink {
  /** Unique per server, from 1 (Redis's server.next_client_id). */
  readonly id: number;
  readonly parser = new RequestParser({ authRequired: () => !this.authenticated });
  readonly reply = new ReplyWriter();
  readonly createdAt = Date.now();
  /** "ip:port" of the peer and of our end. */
  readonly addr: string;
  readonly laddr: string;
  readonly log: Logger;

  db: Database;
  name = "";
  libName = "";
  libVer = "";
  authenticated: boolean;
  /** The ACL user the connection runs as (the default user until AUTH / HELLO AUTH). */
  user: AclUser;
  flags = 0;
  lastInteraction = Date.now();
  /** The command being executed (argv may be rewritten for propagation, as Redis's rewriteClientCommandVector). */
  argv: string[] = [];
  cmd: RegisteredCommand | null = null;
  lastCmd: RegisteredCommand | null = null;

  /** Queued commands while in MULTI. */
  mstate: QueuedCommand[] = [];
  /** Keys this client WATCHes (owned by the watch registry); expiredAtWatch: its TTL had passed already. */
  watched: { db: Database; key: string; expiredAtWatch: boolean }[] = [];
  /** Pub/sub subscriptions. */
  channels = new Set<string>();
  patterns = new Set<string>();
  /** Shard channel subscriptions (SSUBSCRIBE). */
  shardChannels = new Set<string>();
  /** CLIENT TRACKING state (redirect id, BCAST prefixes), created on first use. */
  tracking: { redirect: number; prefixes: string[] } | null = null;
  /** Set while blocked (BLPOP, WAIT, WAITOFFSET, DEBUG SLEEP). */
  block: BlockState | null = null;
  /** The command that blocked: the slow log and latency histogram take it when it is served. */
  blockedCall: { cmd: RegisteredCommand; argv: string[]; usec: number } | null = null;

  // ─── state other modules own, typed here as Redis keeps it in its client struct ───
  /** Replication: the master's offset right after this client's last propagated write, for WAIT (c->woff). */
  woff = 0;
  /**
   * Replication: what a replica announced with REPLCONF (listening-port, ip-address, capa) and, once its
   * PSYNC/SYNC succeeded, its handle in the replication layer. Null until the first REPLCONF or SYNC.
   */
  replicaState: ReplicaClientState | null = null;
  /** CLIENT PAUSE: the command held back while the client waits for the pause to end. */
  postponedArgv: string[] | null = null;
  /** When this client's output first went over its soft limit (ms), 0 while under it. */
  obufSoftLimitReachedTime = 0;

  /** Queued for the end-of-turn write (Server.queueFlush). */
  flushQueued = false;
  private closed = false;
  /** Waiting for the socket to drain before running more of this client's commands. */
  private outputWaiting = false;
  /** Running a command under CLIENT REPLY OFF/SKIP: its replies are dropped, its pushes kept. */
  private quietExecuting = false;
  /** Push messages written during such a command (Redis's CLIENT_PUSHING bypasses the silencing). */
  private keptPushes: Buffer[] | null = null;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    readonly server: Server,
    readonly socket: Socket | null,
  ) {
    this.id = server.nextClientId++;
    this.db = server.keyspace.dbs[0];
    this.user = server.acl.defaultUser;
    this.authenticated = !server.acl.authRequired;
    this.addr = socket ? `${socket.remoteAddress}:${socket.remotePort}` : "";
    this.laddr = socket ? `${socket.localAddress}:${socket.localPort}` : "";
    this.log = server.log.child({ conn: this.id });
    this.parser.maxBulkLen = server.protoMaxBulkLen;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Feeds socket bytes chunk[0, length); replies are flushed once for the whole chunk. The chunk may be the
   * shared read buffer (see net/direct-reads.ts): the parser copies whatever it keeps.
   */
  onData(chunk: Buffer, length: number = chunk.length): void {
    this.lastInteraction = Date.now();
    if (this.outputWaiting) {
      this.parser.append(chunk, length);
      return;
    }
    try {
      this.parser.feed(chunk, this, length);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.protocolError(err);
    }
    this.server.queueFlush(this);
  }

  /** RequestSink: run one command; false stops reading (blocked, closing). */
  onCommand(argv: string[]): boolean {
    if (this.closed || this.flags & ClientFlag.CLOSE_AFTER_REPLY) return false;
    if (this.flags & QUIET_FLAGS) {
      this.flush(); // earlier replies still go out
      this.quietExecuting = true;
    }
    this.server.processCommand(this, argv);
    if (this.flags & AFTER_COMMAND_FLAGS || this.quietExecuting) this.afterCommandFlags();
    if (this.reply.pendingBytes > OUTPUT_FLUSH_BYTES && this.socket !== null) {
      this.flush();
      if (this.socket.writableLength > OUTPUT_PAUSE_BYTES && !this.closed) {
        this.waitForDrain(this.socket);
        return false;
      }
    }
    return (
      this.block === null &&
      !(this.flags & (ClientFlag.CLOSE_AFTER_REPLY | ClientFlag.CLOSE_ASAP)) &&
      !this.closed
    );
  }

  /**
   * Redis's resetClient for the switches that last one command. CLIENT REPLY OFF/SKIP: Redis drops replies
   * at addReply time; we drop the command's replies after it, keeping the push messages it produced.
   */
  private afterCommandFlags(): void {
    if (this.quietExecuting) {
      this.quietExecuting = false;
      // Still quiet: drop the command's replies. CLIENT REPLY ON ended the silence: its +OK goes out.
      if (this.flags & QUIET_FLAGS) this.reply.takeChunks();
      const kept = this.keptPushes;
      if (kept !== null) {
        this.keptPushes = null;
        for (const b of kept) this.reply.rawBuffer(b);
      }
    }
    // SKIP lasts one command; CLIENT REPLY SKIP arms it for the next one.
    this.flags &= ~ClientFlag.REPLY_SKIP;
    if (this.flags & ClientFlag.REPLY_SKIP_NEXT) {
      this.flags = (this.flags | ClientFlag.REPLY_SKIP) & ~ClientFlag.REPLY_SKIP_NEXT;
    }
    // CLIENT CACHING applies to the next command (or transaction) only; CLIENT commands keep it.
    if (
      this.flags & ClientFlag.TRACKING_CACHING &&
      !(this.flags & ClientFlag.MULTI) &&
      (this.lastCmd?.spec.parent?.name ?? this.lastCmd?.spec.name) !== "client"
    ) {
      this.flags &= ~ClientFlag.TRACKING_CACHING;
    }
  }

  /**
   * Around writing a push message (pub/sub, invalidation): while this client runs a command under CLIENT
   * REPLY OFF/SKIP, the push is kept apart so dropping the command's replies does not drop it.
   */
  beginPush(): void {
    if (this.quietExecuting) this.reply.takeChunks(); // the command's own replies so far: dropped anyway
  }

  endPush(): void {
    if (this.quietExecuting) (this.keptPushes ??= []).push(...this.reply.takeChunks());
  }

  private waitForDrain(socket: Socket): void {
    this.outputWaiting = true;
    socket.once("drain", () => {
      this.outputWaiting = false;
      this.resumeReading();
    });
  }

  private protocolError(err: ProtocolError): void {
    this.log.debug({ err: err.message }, "protocol error from client");
    this.reply.error(`ERR ${err.message}`);
    this.flags |= ClientFlag.CLOSE_AFTER_REPLY;
  }

  /** Continues reading buffered commands after the client was unblocked. */
  resumeReading(): void {
    if (this.closed || this.block !== null || this.outputWaiting) return;
    try {
      this.parser.resume(this);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.protocolError(err);
    }
    this.flush();
  }

  // ─── output ─────────────────────────────────────────────────────────────────────────────────────────

  /** Writes everything replied so far to the socket (one corked batch) and applies backpressure. */
  flush(): void {
    const socket = this.socket;
    if (this.reply.pendingBytes === 0) {
      if (this.flags & ClientFlag.CLOSE_AFTER_REPLY) this.close();
      return;
    }
    this.server.stats.netOutputBytes += this.reply.pendingBytes;
    const chunks = this.reply.takeChunks();
    if (socket === null || this.closed || this.flags & ClientFlag.MASTER) {
      if (this.flags & ClientFlag.CLOSE_AFTER_REPLY) this.close();
      return;
    }
    if (chunks.length === 1) {
      socket.write(chunks[0]);
    } else {
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    }
    if (this.flags & ClientFlag.CLOSE_AFTER_REPLY) {
      this.close();
      return;
    }
    if (socket.writableNeedDrain) this.server.onClientOutputBacklog(this);
  }

  // ─── blocking ───────────────────────────────────────────────────────────────────────────────────────

  /** Blocks the client: no more of its commands run until `unblock`. */
  blockOn(state: Omit<BlockState, "timer">): void {
    const block: BlockState = { ...state, timer: null };
    this.block = block;
    this.flags |= ClientFlag.BLOCKED;
    if (block.deadline > 0) this.armBlockTimer(block);
  }

  /**
   * Node's timers fire after at most 2^31 - 1 ms (a longer delay fires at once), so a deadline further
   * away (BLPOP k 3000000, XREAD BLOCK 4000000000) is reached in steps.
   */
  private armBlockTimer(block: BlockState): void {
    const left = Math.max(0, block.deadline - Date.now());
    block.timer = setTimeout(
      () => {
        if (this.block !== block) return;
        if (block.deadline - Date.now() > 0 && left > MAX_TIMER_MS) {
          this.armBlockTimer(block);
          return;
        }
        this.block = null;
        this.flags &= ~ClientFlag.BLOCKED;
        this.blockedCall = null; // Redis keeps a timed-out command out of the slow log and histograms
        block.onTimeout();
        this.afterUnblock();
      },
      Math.min(left, MAX_TIMER_MS),
    );
  }

  /** Ends the block after its owner wrote the reply; resumes reading pipelined commands. */
  unblock(): void {
    const b = this.block;
    if (b === null) return;
    if (b.timer) clearTimeout(b.timer);
    this.block = null;
    this.flags &= ~ClientFlag.BLOCKED;
    const call = this.blockedCall;
    if (call !== null) {
      this.blockedCall = null;
      // Served on keys (or CLIENT UNBLOCK ... ERROR): Redis's updateStatsOnUnblock. WAIT & co. are not.
      if (b.kind !== "wait" && b.kind !== "waitoffset" && b.kind !== "pause")
        this.server.afterBlockedCall(this, call);
    }
    this.afterUnblock();
  }

  private afterUnblock(): void {
    this.flush();
    // Pipelined commands behind the blocking one run on the next tick, as Redis runs them after unblocking.
    setImmediate(() => this.resumeReading());
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────────────────────

  onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  /** Closes the connection after pending output is written; runs cleanup once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const b = this.block;
    if (b) {
      if (b.timer) clearTimeout(b.timer);
      this.block = null;
      b.onCancel?.("disconnect");
    }
    for (const fn of this.closeListeners) fn();
    this.server.unlinkClient(this);
    this.socket?.end();
  }

  /** Closes at once, dropping unsent output (KILL, output limits). */
  destroy(): void {
    if (!this.closed) this.close();
    this.socket?.destroy();
  }
}
