import type { Socket } from "node:net";
import type { Logger } from "pino";
import { ProtocolError } from "../resp/protocol-error.js";
import { ReplyWriter } from "../resp/reply-writer.js";
import { RequestParser, type RequestSink } from "../resp/request-parser.js";
import type { Database } from "../store/database.js";
import type { RegisteredCommand } from "./command-registry.js";
import type { Server } from "./server.js";

/**
 * One connection's state (Redis's `client` struct): its socket, the request parser and reply writer, the
 * selected db, auth, name, transaction, pub/sub and blocking state.
 *
 * Flow: socket data → parser → `onCommand` → server.processCommand → replies into `reply` → `flush()`
 * after the whole chunk is processed, one corked write per chunk, so pipelines cost one syscall.
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
} as const;

/** Why a client is blocked, for CLIENT LIST and CLIENT UNBLOCK. */
export type BlockKind = "list" | "zset" | "wait" | "waitoffset" | "sleep" | "module";

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

export interface QueuedCommand {
  cmd: RegisteredCommand;
  argv: string[];
}

let nextClientId = 1;

export class Client implements RequestSink {
  readonly id = nextClientId++;
  readonly parser = new RequestParser();
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
  /** Set while blocked (BLPOP, WAIT, WAITOFFSET, DEBUG SLEEP). */
  block: BlockState | null = null;

  /** Extra per-client state owned by other modules (replication keeps the replica's state here). */
  ext: Record<string, unknown> = {};

  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    readonly server: Server,
    readonly socket: Socket | null,
  ) {
    this.db = server.keyspace.dbs[0];
    this.authenticated = server.requirepass === "";
    this.addr = socket ? `${socket.remoteAddress}:${socket.remotePort}` : "";
    this.laddr = socket ? `${socket.localAddress}:${socket.localPort}` : "";
    this.log = server.log.child({ conn: this.id });
    this.parser.maxBulkLen = server.protoMaxBulkLen;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────────

  /** Feeds socket bytes; replies are flushed once for the whole chunk. */
  onData(chunk: Buffer): void {
    this.lastInteraction = Date.now();
    try {
      this.parser.feed(chunk, this);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.protocolError(err);
    }
    this.flush();
  }

  /** RequestSink: run one command; false stops reading (blocked, closing). */
  onCommand(argv: string[]): boolean {
    if (this.closed || this.flags & ClientFlag.CLOSE_AFTER_REPLY) return false;
    this.server.processCommand(this, argv);
    return (
      this.block === null &&
      !(this.flags & (ClientFlag.CLOSE_AFTER_REPLY | ClientFlag.CLOSE_ASAP)) &&
      !this.closed
    );
  }

  private protocolError(err: ProtocolError): void {
    this.log.debug({ err: err.message }, "protocol error from client");
    this.reply.error(`ERR ${err.message}`);
    this.flags |= ClientFlag.CLOSE_AFTER_REPLY;
  }

  /** Continues reading buffered commands after the client was unblocked. */
  resumeReading(): void {
    if (this.closed || this.block !== null) return;
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
    const timer =
      state.deadline > 0
        ? setTimeout(
            () => {
              if (this.block === block) {
                this.block = null;
                this.flags &= ~ClientFlag.BLOCKED;
                block.onTimeout();
                this.afterUnblock();
              }
            },
            Math.max(0, state.deadline - Date.now()),
          )
        : null;
    const block: BlockState = { ...state, timer };
    this.block = block;
    this.flags |= ClientFlag.BLOCKED;
  }

  /** Ends the block after its owner wrote the reply; resumes reading pipelined commands. */
  unblock(): void {
    const b = this.block;
    if (b === null) return;
    if (b.timer) clearTimeout(b.timer);
    this.block = null;
    this.flags &= ~ClientFlag.BLOCKED;
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
