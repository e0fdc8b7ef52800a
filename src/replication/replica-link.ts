import assert from "node:assert";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { encodeCommand } from "../resp/reply-writer.js";
import { RequestParser, type RequestSink } from "../resp/request-parser.js";
import { MAX_STRING_BYTES } from "../resp/resp-limits.js";
import { ChunkQueue } from "./chunk-queue.js";
import { RDB_EOF_MARK_SIZE } from "./full-sync.js";
import type { MasterClientHandle, ReplicationHost } from "./replication-host.js";

/**
 * The replica side of one master link (Redis's connectWithMaster / syncWithMaster / readSyncBulkPayload):
 * the handshake as a state machine, PSYNC, the RDB transfer loaded while it arrives (the server keeps
 * answering other clients, with -LOADING), then the stream applied through the normal dispatcher as the
 * master client, with REPLCONF ACK every second and on GETACK. A lost link is retried with a short backoff
 * and PSYNC continues from the cached master (our replid and offset).
 */

// ─── states ─────────────────────────────────────────────────────────────────────────────────────────────

/** Redis's REPL_STATE_* in handshake order. */
export const ReplState = {
  NONE: 0,
  CONNECT: 1,
  CONNECTING: 2,
  RECEIVE_PING_REPLY: 3,
  SEND_HANDSHAKE: 4,
  RECEIVE_AUTH_REPLY: 5,
  RECEIVE_PORT_REPLY: 6,
  RECEIVE_IP_REPLY: 7,
  RECEIVE_CAPA_REPLY: 8,
  SEND_PSYNC: 9,
  RECEIVE_PSYNC_REPLY: 10,
  TRANSFER: 11,
  CONNECTED: 12,
} as const;
export type ReplState = (typeof ReplState)[keyof typeof ReplState];

/** What the link reports to the replication state it belongs to. */
export interface LinkEvents {
  /** PSYNC arguments: [replid, offset+1] from the cached master, or ["?", "-1"]. */
  psyncArgs(): [string, string];
  onFullResync(replid: string, offset: number): void;
  onContinue(newReplid: string | null): void;
  /** The RDB is loaded; its aux fields (repl-stream-db) are passed on. */
  onSyncLoaded(aux: Map<string, string>): void;
  /** One command of the stream was applied: its exact bytes. */
  onStreamApplied(frame: Buffer): void;
  /** The offset applied so far (master_repl_offset on a replica). */
  appliedOffset(): number;
  onLinkDown(): void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;
/** Stop reading the socket while this much RDB is waiting for the loader. */
const LOAD_QUEUE_HIGH = 16 * 1024 * 1024;

export class ReplicaLink {
  state: ReplState = ReplState.CONNECT;
  private socket: Socket | null = null;
  private inbuf: Buffer = Buffer.alloc(0);
  private sentIp = false;
  private sentAuth = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;

  // transfer
  private usemark = false;
  private eofMark = "";
  private transferSize = -1;
  private transferRead = 0;
  private tail: Buffer = Buffer.alloc(0);
  private queue: ChunkQueue | null = null;
  private loadDone = false;
  /** The running RDB load; a reconnection waits for it to stop. */
  private loading: Promise<void> | null = null;
  private streamStash: Buffer[] = [];

  // stream: read by the clients' query parser, as Redis reads the master client's query buffer
  private reader = newStreamParser();
  private readonly streamSink: RequestSink = { onCommand: (argv) => this.applyCommand(argv) };
  private masterClient: MasterClientHandle | null = null;

  /** Unix ms of the last byte read from the master. */
  lastIo = Date.now();
  /**
   * Unix ms the last established link to a master was lost (Redis's repl_down_since): 0 while up and
   * while no link was ever up (INFO master_link_down_since_seconds is -1 then); set by whoever creates
   * the link when it replaces an established one.
   */
  downSince = 0;
  /** Bytes of stream read (slave_read_repl_offset); synced with the applied offset at each sync. */
  readOffset = 0;
  transferStart = 0;
  private lastAck = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly server: ReplicationHost,
    private readonly events: LinkEvents,
  ) {}

  /** The db the master's stream has selected (of the cached master while the link is down). */
  get masterDbId(): number {
    return this.masterClient?.dbId ?? this.lastDbId;
  }

  /** The db a +CONTINUE resumes in, when no earlier link set it (restored from an RDB's repl-stream-db). */
  setCachedDb(db: number): void {
    this.lastDbId = db;
  }

  /** master_sync_in_progress (handshake done, RDB transfer running). */
  get syncInProgress(): boolean {
    return this.state === ReplState.TRANSFER;
  }

  get transferInfo(): { total: number; read: number } {
    return { total: this.transferSize, read: this.transferRead };
  }

  /** The state as ROLE prints it. */
  get roleState(): string {
    if (this.state === ReplState.CONNECTED) return "connected";
    if (this.state === ReplState.TRANSFER) return "sync";
    if (this.state === ReplState.CONNECTING) return "connecting";
    if (this.state > ReplState.CONNECTING) return "handshake";
    return "connect";
  }

  start(): void {
    this.connectWithMaster();
  }

  /** Ends the link for good (REPLICAOF NO ONE, or another master). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.teardown(new Error("replication stopped"));
    this.state = ReplState.NONE;
  }

  // ─── connecting and the handshake ─────────────────────────────────────────────────────────────────────

  private connectWithMaster(): void {
    if (this.stopped) return;
    this.state = ReplState.CONNECTING;
    this.server.log.info({ master: `${this.host}:${this.port}` }, "Connecting to MASTER");
    // With TLS the handshake starts once the TLS session is up ('secureConnect'), as Redis's connTLSConnect.
    const tls = this.server.masterTlsOptions?.() ?? null;
    const socket =
      tls === null
        ? connect({ host: this.host, port: this.port })
        : tlsConnect({ ...tls, host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.inbuf = Buffer.alloc(0);
    this.lastIo = Date.now();
    socket.on(tls === null ? "connect" : "secureConnect", () => {
      if (this.socket !== socket) return;
      this.server.log.info("MASTER <-> REPLICA sync started");
      this.state = ReplState.RECEIVE_PING_REPLY;
      socket.write(encodeCommand(["PING"]));
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on("error", (err) => {
      if (this.socket === socket)
        this.server.log.warn({ err: err.message }, "Error condition on socket for SYNC");
    });
    socket.on("close", () => {
      if (this.socket === socket) this.linkLost();
    });
  }

  private send(args: string[]): void {
    this.socket?.write(encodeCommand(args));
  }

  private onData(chunk: Buffer): void {
    this.lastIo = Date.now();
    if (this.state === ReplState.CONNECTED) {
      this.readOffset += chunk.length;
      this.applyStream(chunk);
      return;
    }
    if (this.state === ReplState.TRANSFER && this.transferSize !== -1) {
      this.onPayload(chunk);
      return;
    }
    this.inbuf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    this.processHandshake();
  }

  /** One reply line from the handshake buffer, without CRLF; null when incomplete. */
  private readLine(): string | null {
    const nl = this.inbuf.indexOf(10);
    if (nl < 0) return null;
    const end = nl > 0 && this.inbuf[nl - 1] === 13 ? nl - 1 : nl;
    const line = this.inbuf.toString("latin1", 0, end);
    this.inbuf = this.inbuf.subarray(nl + 1);
    return line;
  }

  private processHandshake(): void {
    for (;;) {
      if (this.state === ReplState.TRANSFER && this.transferSize !== -1) {
        const rest = this.inbuf;
        this.inbuf = Buffer.alloc(0);
        if (rest.length > 0) this.onPayload(rest);
        return;
      }
      if (this.state === ReplState.CONNECTED || this.state === ReplState.NONE) return;
      const line = this.readLine();
      if (line === null) return;
      if (!this.handshakeStep(line)) return;
    }
  }

  /** Advances the state machine by one reply line; false when the link was dropped. */
  private handshakeStep(line: string): boolean {
    const log = this.server.log;
    switch (this.state) {
      case ReplState.RECEIVE_PING_REPLY: {
        if (line === "") return true;
        // -NOAUTH / -NOPERM mean the master is alive but wants AUTH, which comes next.
        if (
          line.startsWith("-") &&
          !line.startsWith("-NOAUTH") &&
          !line.startsWith("-NOPERM") &&
          !line.startsWith("-ERR operation not permitted")
        ) {
          log.warn({ reply: line }, "Error reply to PING from master");
          return this.fail();
        }
        this.state = ReplState.SEND_HANDSHAKE;
        this.sendHandshake();
        return true;
      }
      case ReplState.RECEIVE_AUTH_REPLY:
        if (line.startsWith("-")) {
          log.warn({ reply: line }, "Unable to AUTH to MASTER");
          return this.fail();
        }
        this.state = ReplState.RECEIVE_PORT_REPLY;
        return true;
      case ReplState.RECEIVE_PORT_REPLY:
        if (line.startsWith("-"))
          log.info({ reply: line }, "(Non critical) Master does not understand REPLCONF listening-port");
        this.state = this.sentIp ? ReplState.RECEIVE_IP_REPLY : ReplState.RECEIVE_CAPA_REPLY;
        return true;
      case ReplState.RECEIVE_IP_REPLY:
        if (line.startsWith("-"))
          log.info({ reply: line }, "(Non critical) Master does not understand REPLCONF ip-address");
        this.state = ReplState.RECEIVE_CAPA_REPLY;
        return true;
      case ReplState.RECEIVE_CAPA_REPLY: {
        if (line.startsWith("-"))
          log.info({ reply: line }, "(Non critical) Master does not understand REPLCONF capa");
        this.state = ReplState.SEND_PSYNC;
        const [id, off] = this.events.psyncArgs();
        if (id !== "?") log.info({ replid: id, offset: off }, "Trying a partial resynchronization");
        this.send(["PSYNC", id, off]);
        this.state = ReplState.RECEIVE_PSYNC_REPLY;
        return true;
      }
      case ReplState.RECEIVE_PSYNC_REPLY:
        return this.onPsyncReply(line);
      case ReplState.TRANSFER:
        return this.onBulkHeader(line);
      default:
        return false;
    }
  }

  private sendHandshake(): void {
    const cfg = this.server.config;
    const pass = cfg.get("masterauth");
    const user = cfg.get("masteruser");
    const socket = this.socket;
    assert(socket !== null, "the handshake starts on a connected socket");
    socket.cork();
    this.sentAuth = pass !== "";
    if (this.sentAuth) this.send(user !== "" ? ["AUTH", user, pass] : ["AUTH", pass]);
    const announcePort = cfg.getInt("replica-announce-port");
    this.send(["REPLCONF", "listening-port", String(announcePort || this.server.listeningPort())]);
    const announceIp = cfg.get("replica-announce-ip");
    this.sentIp = announceIp !== "";
    if (this.sentIp) this.send(["REPLCONF", "ip-address", announceIp]);
    this.send(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    socket.uncork();
    this.state = this.sentAuth ? ReplState.RECEIVE_AUTH_REPLY : ReplState.RECEIVE_PORT_REPLY;
  }

  private onPsyncReply(line: string): boolean {
    const log = this.server.log;
    if (line === "") return true; // keepalive newline while the master prepares
    if (line.startsWith("+FULLRESYNC")) {
      const [, replid, off] = line.split(" ");
      const offset = Number(off);
      if (replid?.length !== 40 || !Number.isInteger(offset)) {
        log.warn({ reply: line }, "Master replied with wrong +FULLRESYNC syntax");
        return this.fail();
      }
      log.info({ replid, offset }, "Full resync from master");
      this.events.onFullResync(replid, offset);
      this.beginTransfer();
      return true;
    }
    if (line.startsWith("+CONTINUE")) {
      const newId = line.length > 10 ? line.slice(10).trim() : "";
      log.info("Successful partial resynchronization with master");
      this.events.onContinue(newId.length === 40 ? newId : null);
      this.becomeConnected(this.masterClient?.dbId ?? this.lastDbId);
      const rest = this.inbuf;
      this.inbuf = Buffer.alloc(0);
      if (rest.length > 0) this.onData(rest);
      return false;
    }
    log.warn({ reply: line }, "Unexpected reply to PSYNC from master");
    return this.fail();
  }

  // ─── the RDB transfer ────────────────────────────────────────────────────────────────────────────────

  private beginTransfer(): void {
    this.state = ReplState.TRANSFER;
    this.transferSize = -1;
    this.transferRead = 0;
    this.transferStart = Date.now();
    this.usemark = false;
    this.tail = Buffer.alloc(0);
  }

  /** `$<len>` or `$EOF:<mark>`, after any keepalive newlines. */
  private onBulkHeader(line: string): boolean {
    if (line === "") return true;
    if (line.startsWith("-")) {
      this.server.log.warn({ reply: line }, "MASTER aborted replication");
      return this.fail();
    }
    if (!line.startsWith("$")) {
      this.server.log.warn({ reply: line }, "Bad protocol from MASTER, the first byte is not '$'");
      return this.fail();
    }
    if (line.startsWith("$EOF:") && line.length === 5 + RDB_EOF_MARK_SIZE) {
      this.usemark = true;
      this.eofMark = line.slice(5);
      this.transferSize = 0;
    } else {
      const n = Number(line.slice(1));
      if (!Number.isInteger(n) || n < 0) return this.fail();
      this.transferSize = n;
    }
    this.startLoading();
    return true;
  }

  private startLoading(): void {
    const rdb = this.server.rdb;
    const queue = new ChunkQueue();
    this.queue = queue;
    this.loadDone = false;
    this.streamStash = [];
    this.server.emptyData();
    this.server.setLoading(true);
    queue.onLow = () => {
      if (this.queue === queue && this.socket?.isPaused()) this.socket.resume();
    };
    if (rdb === null) {
      this.server.log.warn("no RDB loader available: cannot complete a full sync");
      queue.fail(new Error("no RDB loader"));
      this.server.setLoading(false);
      this.fail();
      return;
    }
    const started = Date.now();
    const cancelled = () => {
      this.server.setLoading(false);
      this.server.emptyData();
    };
    this.loading = rdb.load(queue, this.server.keyspace).then(
      ({ aux, keys }) => {
        this.loading = null;
        if (this.queue !== queue) return cancelled();
        this.queue = null;
        this.server.setLoading(false);
        this.server.log.info(
          { keys, ms: Date.now() - started },
          "MASTER <-> REPLICA sync: Finished with success",
        );
        this.events.onSyncLoaded(aux);
        const db = Number(aux.get("repl-stream-db") ?? "0");
        this.becomeConnected(Number.isInteger(db) && db >= 0 ? db : 0);
        if (this.usemark) this.sendAck(); // puts us online on a diskless master
        const stash = this.streamStash;
        this.streamStash = [];
        for (const b of stash) this.onData(b);
      },
      (err: Error) => {
        this.loading = null;
        if (this.queue !== queue) return cancelled();
        this.queue = null;
        this.server.setLoading(false);
        this.server.log.warn({ err: err.message }, "Failed trying to load the MASTER synchronization DB");
        this.server.emptyData();
        this.fail();
      },
    );
  }

  /** RDB bytes: to the loader; anything after the payload is the start of the stream. */
  private onPayload(chunk: Buffer): void {
    const queue = this.queue;
    if (queue === null || this.loadDone) {
      this.streamStash.push(chunk);
      return;
    }
    let data = chunk;
    let rest: Buffer | null = null;
    if (this.usemark) {
      // The last 40 bytes may be the mark: hold them back until more arrives or they match.
      const joined = this.tail.length ? Buffer.concat([this.tail, data]) : data;
      const at = joined.indexOf(this.eofMark, 0, "latin1");
      if (at >= 0) {
        data = joined.subarray(0, at);
        rest = joined.subarray(at + RDB_EOF_MARK_SIZE);
        this.tail = Buffer.alloc(0);
        this.loadDone = true;
      } else {
        const keep = Math.min(RDB_EOF_MARK_SIZE, joined.length);
        data = joined.subarray(0, joined.length - keep);
        this.tail = Buffer.from(joined.subarray(joined.length - keep));
      }
    } else {
      const left = this.transferSize - this.transferRead;
      if (data.length >= left) {
        rest = data.subarray(left);
        data = data.subarray(0, left);
        this.loadDone = true;
      }
    }
    this.transferRead += data.length;
    if (data.length > 0) queue.push(data);
    if (this.loadDone) {
      queue.end();
      if (rest && rest.length > 0) this.streamStash.push(rest);
    } else if (queue.queuedBytes > LOAD_QUEUE_HIGH) {
      this.socket?.pause();
    }
  }

  // ─── the stream ──────────────────────────────────────────────────────────────────────────────────────

  private lastDbId = 0;

  private becomeConnected(dbId: number): void {
    this.masterClient?.close();
    this.masterClient = this.server.createMasterClient(dbId);
    this.state = ReplState.CONNECTED;
    this.readOffset = this.events.appliedOffset();
    this.downSince = 0;
    this.attempts = 0;
    this.lastIo = Date.now();
  }

  private applyStream(chunk: Buffer): void {
    const ks = this.server.keyspace;
    ks.applyingMasterStream = true;
    try {
      this.reader.feed(chunk, this.streamSink);
    } catch (err) {
      this.server.log.warn({ err: (err as Error).message }, "Protocol error in the master's stream");
      this.fail();
    } finally {
      ks.applyingMasterStream = false;
      this.masterClient?.discardReplies();
    }
  }

  /**
   * One command of the stream (empty for a keepalive newline, which still counts in the offset). Returns
   * false to stop reading when the link left the CONNECTED state meanwhile.
   */
  private applyCommand(argv: string[]): boolean {
    const mc = this.masterClient;
    assert(mc !== null, "the stream is applied only once the master client exists (CONNECTED)");
    const frame = this.reader.lastFrame(); // taken first: applying may tear the link (and parser) down
    if (argv.length > 0) {
      try {
        mc.execute(argv);
      } catch (err) {
        this.server.log.error(
          { err: (err as Error).message, cmd: argv[0] },
          "error applying a command from the master",
        );
      }
    }
    this.events.onStreamApplied(frame);
    return this.state === ReplState.CONNECTED;
  }

  /** REPLCONF ACK <applied offset>: every second and on GETACK. */
  sendAck(): void {
    if (this.state !== ReplState.CONNECTED || this.socket === null) return;
    this.lastAck = Date.now();
    this.send(["REPLCONF", "ACK", String(this.events.appliedOffset())]);
  }

  // ─── cron, failures and reconnection ─────────────────────────────────────────────────────────────────

  /** Called about every 100 ms: timeouts and the once-a-second ACK. */
  cron(now: number): void {
    if (this.stopped) return;
    const timeoutMs = this.server.config.getInt("repl-timeout") * 1000;
    const waitingLoad = this.state === ReplState.TRANSFER && this.loadDone;
    if (
      this.socket !== null &&
      this.state >= ReplState.CONNECTING &&
      !waitingLoad &&
      now - this.lastIo > timeoutMs
    ) {
      this.server.log.warn("Timeout connecting to / receiving from the MASTER");
      this.fail();
      return;
    }
    if (this.state === ReplState.CONNECTED && now - this.lastAck >= 1000) this.sendAck();
  }

  /** Drops the connection; the link retries by itself. Returns false for the handshake loop. */
  private fail(): false {
    this.socket?.destroy();
    return false;
  }

  private teardown(reason: Error): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    if (this.queue) {
      // A load cut short leaves a partial dataset: it is emptied once the loader has stopped.
      const q = this.queue;
      this.queue = null;
      q.fail(reason);
    }
    if (this.masterClient) {
      this.lastDbId = this.masterClient.dbId;
      this.masterClient.close();
      this.masterClient = null;
    }
    this.reader = newStreamParser();
  }

  private linkLost(): void {
    const wasConnected = this.state === ReplState.CONNECTED;
    this.teardown(new Error("connection with master lost"));
    if (this.stopped) return;
    if (wasConnected) {
      this.server.log.info("Connection with master lost; caching the master for a partial resync");
      this.events.onLinkDown();
    }
    if (wasConnected) this.downSince = Date.now();
    this.state = ReplState.CONNECT;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.attempts++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.loading) void this.loading.then(() => this.connectWithMaster());
      else this.connectWithMaster();
    }, delay);
  }
}

/**
 * The master link's parser: the clients' parser without their limits (Redis exempts its master from
 * proto-max-bulk-len and accepts any multibulk count it sends), delivering keepalive newlines.
 */
function newStreamParser(): RequestParser {
  const parser = new RequestParser({ deliverEmpty: true });
  parser.maxBulkLen = MAX_STRING_BYTES;
  return parser;
}
