import { randomBytes } from "node:crypto";
import { BIG_COMMAND, encodeCommand, encodeCommandString } from "../resp/reply-writer.js";
import { AttachedReplica, SlaveCapa, SlaveState } from "./attached-replica.js";
import { FullSync } from "./full-sync.js";
import { ReplBacklog } from "./repl-backlog.js";
import { type LinkEvents, ReplicaLink, ReplState } from "./replica-link.js";
import type {
  BlockedWaiter,
  ReplAuxFields,
  ReplicaClientHandle,
  ReplicationHost,
} from "./replication-host.js";

/**
 * A node's replication state, as Redis 7 keeps it in replication.c: the replication ID and offset (and
 * replid2/second_repl_offset after a promotion), the backlog, the replicas attached to us (master side)
 * and the link to our master (replica side). It is also the propagation sink that turns executed write
 * commands into the replication stream (feedReplicas), and answers INFO replication, ROLE, WAIT and
 * WAITOFFSET.
 *
 * Like Redis 7, a master creates its backlog (and a fresh replid) when its first replica asks for a full
 * sync; from then on the offset grows by every byte of the stream, replicas or not, until the backlog is
 * freed after repl-backlog-ttl without replicas.
 */

const ZERO_REPLID = "0".repeat(40);

function randomReplid(): string {
  return randomBytes(20).toString("hex");
}

interface OffsetWaiter {
  target: number;
  waiter: BlockedWaiter;
}

interface AckWaiter {
  numreplicas: number;
  offset: number;
  waiter: BlockedWaiter;
}

export interface PropagatedUnit {
  db: number;
  argv: string[];
}

export class Replication implements LinkEvents {
  replid = randomReplid();
  replid2 = ZERO_REPLID;
  masterReplOffset = 0;
  secondReplOffset = -1;
  backlog: ReplBacklog | null = null;
  readonly replicas: AttachedReplica[] = [];

  masterHost: string | null = null;
  masterPort = 0;
  link: ReplicaLink | null = null;

  readonly stats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };

  /** The db the stream last SELECTed (-1: the next command gets a SELECT). */
  private slaveseldb = -1;
  /** False until our replid/offset describe a dataset we hold (fresh replica): PSYNC ? -1. */
  private haveHistory = true;
  private fullSync: FullSync | null = null;
  private noReplicasSince = Date.now();
  private lastPing = 0;
  private lastSecondCron = 0;
  private getAckScheduled = false;
  private offsetWaiters: OffsetWaiter[] = [];
  private ackWaiters: AckWaiter[] = [];

  constructor(private readonly host: ReplicationHost) {
    host.config.onChange("repl-backlog-size", (v) => this.backlog?.resize(Number(v)));
  }

  // ─── the view the dispatcher uses ────────────────────────────────────────────────────────────────────

  isReplica(): boolean {
    return this.masterHost !== null;
  }

  masterLinkUp(): boolean {
    return this.link?.state === ReplState.CONNECTED;
  }

  /** Online replicas whose last ACK is within min-replicas-max-lag seconds. */
  goodReplicaCount(): number {
    const maxLag = this.host.config.getInt("min-replicas-max-lag") * 1000;
    const now = Date.now();
    let n = 0;
    for (const r of this.replicas) if (r.state === SlaveState.ONLINE && now - r.ackTime <= maxLag) n++;
    return n;
  }

  // ─── master side: the stream ─────────────────────────────────────────────────────────────────────────

  /** A master with a backlog or replicas: what `feed` is given goes somewhere. */
  hasStream(): boolean {
    return this.masterHost === null && (this.backlog !== null || this.replicas.length > 0);
  }

  /** PropagationSink: one executed unit, re-encoded into the stream (replicationFeedSlaves). */
  feed(ops: readonly PropagatedUnit[]): void {
    // A replica proxies its master's bytes instead; a master without backlog and replicas has no stream.
    if (this.masterHost !== null) return;
    if (this.backlog === null && this.replicas.length === 0) return;
    let s = "";
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.db !== this.slaveseldb) {
        const id = String(op.db);
        s += "*2\r\n$6\r\nSELECT\r\n$" + id.length + "\r\n" + id + "\r\n";
        this.slaveseldb = op.db;
      }
      if (argvBytes(op.argv) < BIG_COMMAND) {
        s += encodeCommandString(op.argv);
        continue;
      }
      // A large command goes in as its own Buffer, encoded without one giant string (what came before it
      // first, so the stream keeps its order).
      if (s.length > 0) this.feedStream(Buffer.from(s, "latin1"));
      s = "";
      this.feedStream(encodeCommand(op.argv));
    }
    if (s.length > 0) this.feedStream(Buffer.from(s, "latin1"));
  }

  /**
   * Appends bytes to the stream: backlog and offset at once, every replica past its snapshot point at the
   * end of this event-loop turn (one write per replica per turn).
   */
  private feedStream(data: Buffer): void {
    this.backlog?.append(data);
    this.masterReplOffset += data.length;
    const replicas = this.replicas;
    let queued = false;
    for (let i = 0; i < replicas.length; i++) if (replicas[i].feed(data)) queued = true;
    if (queued && !this.flushScheduled) {
      this.flushScheduled = true;
      this.host.endOfTurn();
    }
    if (this.offsetWaiters.length > 0) this.checkOffsetWaiters();
  }

  private flushScheduled = false;

  /** Writes every replica's queued stream bytes (bound once: no closure per turn). */
  private readonly flushReplicas = (): void => {
    this.flushScheduled = false;
    const replicas = this.replicas;
    for (let i = 0; i < replicas.length; i++) replicas[i].flushOutput();
  };

  /** Writes queued stream bytes now (shutdown: the last writes still reach the replicas). */
  flushReplicaOutput(): void {
    this.flushReplicas();
  }

  // ─── master side: PSYNC ──────────────────────────────────────────────────────────────────────────────

  /**
   * PSYNC replid offset / SYNC from a client that becomes a replica. Returns an error text to reply
   * instead (the client stays a normal client), or null when it is now a replica.
   */
  syncCommand(
    client: ReplicaClientHandle,
    argv: readonly string[],
    replconf: { port: number; ip: string; capa: number },
  ): string | null {
    if (this.masterHost !== null && !this.masterLinkUp()) {
      return "NOMASTERLINK Can't SYNC while not connected with my master";
    }
    const ip = replconf.ip || client.addr.slice(0, client.addr.lastIndexOf(":")).replace(/^::ffff:/, "");
    const r = new AttachedReplica(client, replconf.port, ip);
    r.capa = replconf.capa;
    const isPsync = argv[0].toLowerCase() === "psync";
    if (isPsync) {
      if (this.tryPartialResync(r, argv[1], argv[2])) {
        this.stats.syncPartialOk++;
        return null;
      }
      if (argv[1] !== "?") this.stats.syncPartialErr++;
    } else {
      r.oldSync = true;
    }
    this.stats.syncFull++;
    r.state = SlaveState.WAIT_BGSAVE_START;
    r.waitSince = Date.now();
    if (this.backlog === null && this.replicas.length === 0) {
      // The first replica of a master: a new history starts here (Redis 7's createReplicationBacklog).
      if (this.masterHost === null) {
        this.replid = randomReplid();
        this.clearReplid2();
      }
      this.backlog = new ReplBacklog(this.host.config.getInt("repl-backlog-size"), this.masterReplOffset);
    }
    this.replicas.push(r);
    this.host.log.info({ replica: `${ip}:${replconf.port}` }, "Replica asks for synchronization");
    this.maybeStartFullSync();
    return null;
  }

  /** masterTryPartialResynchronization: +CONTINUE and the backlog tail, when history allows. */
  private tryPartialResync(r: AttachedReplica, replid: string, offsetArg: string): boolean {
    const offset = Number(offsetArg);
    if (!Number.isInteger(offset)) return false;
    const sameHistory =
      replid === this.replid || (replid === this.replid2 && offset <= this.secondReplOffset);
    if (!sameHistory) {
      if (replid !== "?")
        this.host.log.info({ replid }, "Partial resynchronization not accepted: replid mismatch");
      return false;
    }
    if (this.backlog === null || !this.backlog.holds(offset)) {
      this.host.log.info({ offset }, "Unable to partial resync: lack of backlog");
      return false;
    }
    r.state = SlaveState.ONLINE;
    r.ackTime = Date.now();
    r.ackOffset = offset - 1;
    const socket = r.client.socket;
    socket.cork();
    socket.write(r.capa & SlaveCapa.PSYNC2 ? `+CONTINUE ${this.replid}\r\n` : "+CONTINUE\r\n");
    for (const b of this.backlog.copyFrom(offset)) socket.write(b);
    socket.uncork();
    this.replicas.push(r);
    this.host.log.info(
      { replica: `${r.ip}:${r.listeningPort}`, bytes: this.masterReplOffset - offset + 1 },
      "Partial resynchronization request accepted",
    );
    return true;
  }

  /** Starts a snapshot for every replica waiting for one, unless one is running or the delay holds it. */
  private maybeStartFullSync(): void {
    if (this.fullSync !== null) return;
    const waiting = this.replicas.filter((r) => r.state === SlaveState.WAIT_BGSAVE_START);
    if (waiting.length === 0) return;
    const cfg = this.host.config;
    const diskless = cfg.getBool("repl-diskless-sync");
    const delay = cfg.getInt("repl-diskless-sync-delay") * 1000;
    if (diskless && delay > 0) {
      const oldest = Math.min(...waiting.map((r) => r.waitSince));
      if (Date.now() - oldest < delay) return;
    }
    const rdb = this.host.rdb;
    if (rdb === null) {
      this.host.log.warn("full sync requested but no RDB snapshot is available yet");
      return;
    }
    this.slaveseldb = -1;
    const offset = this.masterReplOffset;
    for (const r of waiting) {
      if (!r.oldSync) r.client.socket.write(`+FULLRESYNC ${this.replid} ${offset}\r\n`);
      r.state = SlaveState.WAIT_BGSAVE_END;
      r.psyncInitialOffset = offset;
    }
    const aux = this.rdbAux();
    this.host.log.info({ replicas: waiting.length, offset, diskless }, "Starting BGSAVE for SYNC");
    const sync = new FullSync(waiting, rdb.snapshot(this.host.keyspace, aux), diskless, this.host.log);
    this.fullSync = sync;
    void sync.run().finally(() => {
      if (this.fullSync === sync) this.fullSync = null;
      this.maybeStartFullSync();
    });
  }

  /** REPLCONF ACK <offset> from a replica. */
  replconfAck(client: ReplicaClientHandle, offset: number): void {
    const r = this.findReplica(client);
    if (r === undefined) return;
    if (offset > r.ackOffset) r.ackOffset = offset;
    r.ackTime = Date.now();
    if (r.putOnlineOnAck && r.state === SlaveState.WAIT_BGSAVE_END) {
      r.putOnline();
      this.host.log.info(
        { replica: `${r.ip}:${r.listeningPort}` },
        "Streamed RDB transfer with replica succeeded: replica is now online",
      );
    }
    if (this.ackWaiters.length > 0) this.checkAckWaiters();
  }

  /** The replica's client closed (or was killed). */
  removeReplica(client: ReplicaClientHandle): void {
    const i = this.replicas.findIndex((r) => r.client === client);
    if (i < 0) return;
    const r = this.replicas[i];
    this.replicas.splice(i, 1);
    if (this.replicas.length === 0) this.noReplicasSince = Date.now();
    this.host.log.info({ replica: `${r.ip}:${r.listeningPort}` }, "Connection with replica lost");
  }

  private findReplica(client: ReplicaClientHandle): AttachedReplica | undefined {
    for (const r of this.replicas) if (r.client === client) return r;
    return undefined;
  }

  /** Closes every attached replica (they reconnect and PSYNC). */
  private disconnectReplicas(): void {
    for (const r of [...this.replicas]) r.client.close();
  }

  // ─── WAIT and WAITOFFSET ─────────────────────────────────────────────────────────────────────────────

  /** Replicas that acknowledged at least `offset` (replicationCountAcksByOffset). */
  countAcks(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === SlaveState.ONLINE && r.ackOffset >= offset) n++;
    return n;
  }

  /** WAIT: registers a waiter and asks replicas for an ACK; returns a function that removes it. */
  waitForAcks(numreplicas: number, offset: number, waiter: BlockedWaiter): () => void {
    const w: AckWaiter = { numreplicas, offset, waiter };
    this.ackWaiters.push(w);
    this.requestAcks();
    return () => {
      const i = this.ackWaiters.indexOf(w);
      if (i >= 0) this.ackWaiters.splice(i, 1);
    };
  }

  /** REPLCONF GETACK * into the stream, once per event-loop turn however many WAITs asked. */
  private requestAcks(): void {
    if (this.getAckScheduled) return;
    this.getAckScheduled = true;
    setImmediate(() => {
      this.getAckScheduled = false;
      if (this.masterHost === null && this.ackWaiters.length > 0 && this.replicas.length > 0) {
        this.feedStream(encodeCommand(["REPLCONF", "GETACK", "*"]));
      }
    });
  }

  private checkAckWaiters(): void {
    // Swapped out first: a resolved waiter removes itself from the (new) list.
    const ws = this.ackWaiters;
    this.ackWaiters = [];
    const still: AckWaiter[] = [];
    for (const w of ws) {
      const n = this.countAcks(w.offset);
      if (n >= w.numreplicas) w.waiter.resolve(n);
      else still.push(w);
    }
    this.ackWaiters = still.concat(this.ackWaiters);
  }

  /** WAITOFFSET: resolves when this node's offset reaches `target`; returns the remover. */
  waitForOffset(target: number, waiter: BlockedWaiter): () => void {
    const w: OffsetWaiter = { target, waiter };
    this.offsetWaiters.push(w);
    return () => {
      const i = this.offsetWaiters.indexOf(w);
      if (i >= 0) this.offsetWaiters.splice(i, 1);
    };
  }

  private checkOffsetWaiters(): void {
    const off = this.masterReplOffset;
    const ws = this.offsetWaiters;
    this.offsetWaiters = [];
    const still: OffsetWaiter[] = [];
    for (const w of ws) {
      if (off >= w.target) w.waiter.resolve(off);
      else still.push(w);
    }
    this.offsetWaiters = still.concat(this.offsetWaiters);
  }

  // ─── role changes ────────────────────────────────────────────────────────────────────────────────────

  /** At start-up from `replicaof` in the config: no dataset history yet (unless the RDB restores one). */
  configureFromStartup(host: string, port: number): void {
    this.haveHistory = false;
    this.masterHost = host;
    this.masterPort = port;
    this.host.keyspace.isReplica = true;
  }

  /**
   * Starts the link configured at start-up, once the dataset was loaded: the replication history the
   * loaded RDB carried (if any) is restored first, so the first PSYNC can continue it.
   */
  start(): void {
    const aux = this.host.loadedAux?.();
    if (aux !== undefined && aux.size > 0) this.restoreFromRdbAux(aux);
    if (this.masterHost !== null && this.link === null) {
      const link = this.connectTo(this.masterHost, this.masterPort);
      if (this.restoredStreamDb >= 0) link.setCachedDb(this.restoredStreamDb);
    }
  }

  /** The repl-stream-db of the RDB loaded at start-up (-1: none). */
  private restoredStreamDb = -1;

  /**
   * The RDB loaded at start-up carried repl-id/repl-offset/repl-stream-db (loadDataFromDisk). A replica
   * takes them as its cached master: it PSYNCs `repl-id repl-offset+1` and continues in repl-stream-db,
   * as Redis 7 does. A master keeps them as replid2/second_repl_offset with an empty backlog ending at
   * repl-offset — what Redis 7 does for a restarted cluster master, applied here to every master — so
   * replicas that were exactly in sync with the dump (a shutdown that saved) continue with +CONTINUE;
   * any replica that got further than the dump fails the replid2 offset check and resyncs fully.
   */
  restoreFromRdbAux(aux: Map<string, string>): void {
    const id = aux.get("repl-id");
    const offText = aux.get("repl-offset");
    const dbText = aux.get("repl-stream-db");
    if (id === undefined || id.length !== 40 || offText === undefined || dbText === undefined) return;
    const off = Number(offText);
    const db = Number(dbText);
    // Redis also refuses a repl-stream-db of -1 (written wrongly by old versions).
    if (!Number.isSafeInteger(off) || off < 0 || !Number.isInteger(db) || db < 0) return;
    if (this.masterHost !== null) {
      this.replid = id;
      this.masterReplOffset = off;
      this.haveHistory = true;
      this.restoredStreamDb = db;
      this.host.log.info({ replid: id, offset: off }, "Cached master restored from the RDB");
      return;
    }
    this.replid2 = id;
    this.secondReplOffset = off + 1;
    this.masterReplOffset = off;
    this.backlog = new ReplBacklog(this.host.config.getInt("repl-backlog-size"), off);
    this.noReplicasSince = Date.now();
    this.slaveseldb = -1;
    this.host.log.info({ replid2: id, offset: off }, "Replication history restored from the RDB as replid2");
  }

  /**
   * The replication aux fields an RDB saved now carries (rdbPopulateSaveInfo), or null when it carries
   * none: a master only while it has a backlog, a replica only while it holds its master's history.
   */
  rdbSaveInfo(): ReplAuxFields | null {
    if (this.masterHost === null) {
      if (this.backlog === null) return null;
      return this.rdbAux();
    }
    if (!this.haveHistory) return null;
    return this.rdbAux();
  }

  /** The aux fields of an RDB made now (repl-id, repl-offset, repl-stream-db), as for a full sync. */
  rdbAux(): ReplAuxFields {
    return {
      replId: this.replid,
      replOffset: this.masterReplOffset,
      // A master that wrote nothing since its last full sync has slaveseldb -1: the next write SELECTs.
      replStreamDb: this.masterHost !== null ? (this.link?.masterDbId ?? 0) : Math.max(0, this.slaveseldb),
    };
  }

  /** REPLICAOF host port. Returns false when already replicating from that master. */
  setMaster(host: string, port: number): boolean {
    if (this.masterHost === host && this.masterPort === port && this.link !== null) return false;
    const wasMaster = this.masterHost === null;
    // As Redis: leaving an established link counts as losing it; a former master was never down.
    const old = this.link;
    const downSince = old === null ? 0 : old.state === ReplState.CONNECTED ? Date.now() : old.downSince;
    this.link?.stop();
    this.link = null;
    this.masterHost = host;
    this.masterPort = port;
    this.host.config.set("replicaof", `${host} ${port}`);
    this.host.keyspace.isReplica = true;
    this.host.disconnectBlockedClients?.();
    this.failAckWaiters();
    // A former master continues its own history: it PSYNCs with its replid and offset (cached myself).
    if (wasMaster) this.haveHistory = true;
    this.connectTo(host, port).downSince = downSince;
    return true;
  }

  /** REPLICAOF NO ONE: promotion. The old history stays reachable as replid2 up to second_repl_offset. */
  unsetMaster(): void {
    if (this.masterHost === null) return;
    this.link?.stop();
    this.link = null;
    this.masterHost = null;
    this.masterPort = 0;
    this.host.config.set("replicaof", "");
    this.host.keyspace.isReplica = false;
    this.shiftReplid();
    // Sub-replicas reconnect and get +CONTINUE with the new replid, partially.
    this.disconnectReplicas();
    this.slaveseldb = -1;
    this.haveHistory = true;
    if (this.backlog === null) {
      this.backlog = new ReplBacklog(this.host.config.getInt("repl-backlog-size"), this.masterReplOffset);
    }
    this.host.log.info({ replid: this.replid, replid2: this.replid2 }, "MASTER MODE enabled");
  }

  private connectTo(host: string, port: number): ReplicaLink {
    const link = new ReplicaLink(host, port, this.host, this);
    this.link = link;
    link.start();
    return link;
  }

  private shiftReplid(): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.masterReplOffset + 1;
    this.replid = randomReplid();
  }

  private clearReplid2(): void {
    this.replid2 = ZERO_REPLID;
    this.secondReplOffset = -1;
  }

  private failAckWaiters(): void {
    const ws = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of ws) w.waiter.resolve(this.countAcks(w.offset));
  }

  // ─── LinkEvents (replica side) ──────────────────────────────────────────────────────────────────────

  psyncArgs(): [string, string] {
    return this.haveHistory ? [this.replid, String(this.masterReplOffset + 1)] : ["?", "-1"];
  }

  onFullResync(replid: string, offset: number): void {
    // Until the RDB is loaded this node holds no dataset matching any history.
    this.haveHistory = false;
    this.replid = replid;
    this.clearReplid2();
    this.masterReplOffset = offset;
    this.disconnectReplicas();
  }

  onSyncLoaded(): void {
    this.haveHistory = true;
    this.backlog = new ReplBacklog(this.host.config.getInt("repl-backlog-size"), this.masterReplOffset);
    if (this.offsetWaiters.length > 0) this.checkOffsetWaiters();
  }

  onContinue(newReplid: string | null): void {
    if (newReplid !== null && newReplid !== this.replid) {
      this.replid2 = this.replid;
      this.secondReplOffset = this.masterReplOffset + 1;
      this.replid = newReplid;
      this.disconnectReplicas();
    }
    if (this.backlog === null) {
      this.backlog = new ReplBacklog(this.host.config.getInt("repl-backlog-size"), this.masterReplOffset);
    }
  }

  onStreamApplied(frame: Buffer): void {
    this.feedStream(frame);
  }

  appliedOffset(): number {
    return this.masterReplOffset;
  }

  onLinkDown(): void {
    // Sub-replicas stay attached: they keep our history and continue when we do.
  }

  // ─── cron ────────────────────────────────────────────────────────────────────────────────────────────

  /** replicationCron: called from the server cron (about every 100 ms); once-a-second work inside. */
  cron(now: number): void {
    this.link?.cron(now);
    if (this.fullSync === null) this.maybeStartFullSync();
    if (now - this.lastSecondCron < 1000) return;
    this.lastSecondCron = now;
    const cfg = this.host.config;
    const period = cfg.getInt("repl-ping-replica-period") * 1000;
    if (this.masterHost === null && this.replicas.length > 0 && now - this.lastPing >= period) {
      this.lastPing = now;
      // Fed without a SELECT, as Redis feeds PING with the db last selected.
      this.feedStream(encodeCommand(["PING"]));
    }
    for (const r of this.replicas) {
      // Keepalive newlines while a replica waits for its payload to start (not counted in offsets).
      if (!r.payloadStarted && r.state !== SlaveState.ONLINE) r.client.socket.write("\n");
    }
    const timeoutMs = cfg.getInt("repl-timeout") * 1000;
    for (const r of [...this.replicas]) {
      if (r.state === SlaveState.ONLINE && !r.oldSync && now - r.ackTime > timeoutMs) {
        this.host.log.warn({ replica: `${r.ip}:${r.listeningPort}` }, "Disconnecting timedout replica");
        r.client.close();
      }
    }
    const ttl = cfg.getInt("repl-backlog-ttl") * 1000;
    if (
      this.masterHost === null &&
      this.backlog !== null &&
      this.replicas.length === 0 &&
      ttl > 0 &&
      now - this.noReplicasSince > ttl
    ) {
      // Nobody can PSYNC from this history any more: a new one starts with the next replica.
      this.replid = randomReplid();
      this.clearReplid2();
      this.backlog = null;
      this.host.log.info("Replication backlog freed after repl-backlog-ttl without replicas");
    }
  }

  // ─── INFO and ROLE ───────────────────────────────────────────────────────────────────────────────────

  /** The INFO replication section, in Redis 7.0's field order. */
  infoFields(): [string, string | number][] {
    const cfg = this.host.config;
    const now = Date.now();
    const out: [string, string | number][] = [["role", this.masterHost === null ? "master" : "slave"]];
    const link = this.link;
    if (this.masterHost !== null) {
      const up = link?.state === ReplState.CONNECTED;
      out.push(
        ["master_host", this.masterHost],
        ["master_port", this.masterPort],
        ["master_link_status", up ? "up" : "down"],
        ["master_last_io_seconds_ago", up && link ? Math.floor((now - link.lastIo) / 1000) : -1],
        ["master_sync_in_progress", link?.syncInProgress ? 1 : 0],
        // Without a master or a cached one (no history yet: never synced, or a full sync running)
        // Redis prints 1 for both.
        [
          "slave_read_repl_offset",
          up && link ? link.readOffset : this.haveHistory ? this.masterReplOffset : 1,
        ],
        ["slave_repl_offset", up || this.haveHistory ? this.masterReplOffset : 1],
      );
      if (link?.syncInProgress) {
        const { total, read } = link.transferInfo;
        const t = link.transferStart > 0 ? total : -1;
        out.push(
          ["master_sync_total_bytes", t],
          ["master_sync_read_bytes", read],
          ["master_sync_left_bytes", t > 0 ? t - read : -1],
          ["master_sync_perc", t > 0 ? ((read / t) * 100).toFixed(2) : "-0.00"],
          ["master_sync_last_io_seconds_ago", Math.floor((now - link.lastIo) / 1000)],
        );
      }
      if (!up) {
        out.push([
          "master_link_down_since_seconds",
          link && link.downSince > 0 ? Math.floor((now - link.downSince) / 1000) : -1,
        ]);
      }
      out.push(
        ["slave_priority", cfg.getInt("replica-priority")],
        ["slave_read_only", cfg.getBool("replica-read-only") ? 1 : 0],
        ["replica_announced", cfg.getBool("replica-announced") ? 1 : 0],
      );
    }
    out.push(["connected_slaves", this.replicas.length]);
    this.replicas.forEach((r, i) => {
      const lag = Math.floor((now - r.ackTime) / 1000);
      out.push([
        `slave${i}`,
        `ip=${r.ip},port=${r.listeningPort},state=${r.stateName},offset=${r.ackOffset},lag=${lag}`,
      ]);
    });
    if (cfg.getInt("min-replicas-to-write") > 0 && cfg.getInt("min-replicas-max-lag") > 0) {
      out.push(["min_slaves_good_slaves", this.goodReplicaCount()]);
    }
    const b = this.backlog;
    out.push(
      ["master_failover_state", "no-failover"],
      ["master_replid", this.replid],
      ["master_replid2", this.replid2],
      ["master_repl_offset", this.masterReplOffset],
      ["second_repl_offset", this.secondReplOffset],
      ["repl_backlog_active", b ? 1 : 0],
      ["repl_backlog_size", cfg.getInt("repl-backlog-size")],
      ["repl_backlog_first_byte_offset", b ? b.firstByteOffset : 0],
      ["repl_backlog_histlen", b ? b.histlen : 0],
    );
    return out;
  }

  /** ROLE's data: the master form or the replica form. */
  roleInfo():
    | { role: "master"; offset: number; replicas: { ip: string; port: number; offset: number }[] }
    | { role: "slave"; host: string; port: number; state: string; offset: number } {
    if (this.masterHost === null) {
      return {
        role: "master",
        offset: this.masterReplOffset,
        replicas: this.replicas
          .filter((r) => r.state === SlaveState.ONLINE)
          .map((r) => ({ ip: r.ip, port: r.listeningPort, offset: r.ackOffset })),
      };
    }
    const link = this.link;
    return {
      role: "slave",
      host: this.masterHost,
      port: this.masterPort,
      state: link ? link.roleState : "connect",
      offset: link?.state === ReplState.CONNECTED ? this.masterReplOffset : -1,
    };
  }

  /** GETACK from our master: answer with the offset applied so far. */
  ackToMaster(): void {
    this.link?.sendAck();
  }
}

/** The argument bytes of a command (latin1: one byte per character). */
function argvBytes(argv: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < argv.length; i++) n += argv[i].length;
  return n;
}
