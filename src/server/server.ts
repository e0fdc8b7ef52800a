import { randomBytes } from "node:crypto";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { CommandFlag } from "../command-table/command-flags.js";
import { arityOk } from "../command-table/command-table.js";
import { ConfigError } from "../config/config-error.js";
import type { ServerConfig } from "../config/server-config.js";
import { adoptWithDirectReads } from "../net/direct-reads.js";
import type { Replication } from "../replication/replication.js";
import type { Database } from "../store/database.js";
import { encodingConfig } from "../store/encoding-config.js";
import { Keyspace } from "../store/keyspace.js";
import { Acl } from "./acl/acl.js";
import { ActiveExpire } from "./active-expire.js";
import { Blocking } from "./blocking.js";
import { Client, ClientFlag } from "./client.js";
import type { ClientPause } from "./client-pause.js";
import { CommandRegistry, type RegisteredCommand } from "./command-registry.js";
import { clientInfoString } from "./commands/client-command.js";
import { allCommandFamilies } from "./commands/index.js";
import { discardTransaction, execHandler } from "./commands/transactions.js";
import { EVICT_FAIL, Evictor } from "./evict.js";
import { InfoBuilder } from "./info.js";
import { installIntrospection } from "./introspection.js";
import { keyspaceEventsFlags, makeKeyspaceNotifier } from "./keyspace-events.js";
import { LatencyMonitor } from "./latency-monitor.js";
import { Monitors, redactedArgv } from "./monitors.js";
import { Notify } from "./notify-flags.js";
import { PersistenceService } from "./persistence-service.js";
import { Propagator } from "./propagator.js";
import { PROTECTED_MODE_DENIED, protectedModeDenies } from "./protected-mode.js";
import { PubSub } from "./pubsub.js";
import type { ScriptRun } from "./scripting/script-run.js";
import { ERR_BUSY_EVAL, ERR_BUSY_FUNCTION, ScriptingEngine } from "./scripting/scripting-engine.js";
import { replicationSink, serverReplication } from "./server-replication.js";
import { ServerTls, TLS_STARTUP_FAILED } from "./server-tls.js";
import {
  ERR_LOADING,
  ERR_MASTERDOWN,
  ERR_MAX_CLIENTS,
  ERR_NOAUTH,
  ERR_NOREPLICAS,
  ERR_OOM,
  ERR_READONLY,
  errUnknownCommand,
  errUnknownSubcommand,
  errWrongArity,
} from "./shared-replies.js";
import { SlowLog, slowlogArgv } from "./slowlog.js";
import { cErrno } from "./strtod.js";
import { Tracking } from "./tracking.js";
import { UsedMemory } from "./used-memory.js";
import { WatchRegistry } from "./watch-registry.js";

/**
 * The server: listeners, clients, the command dispatcher and the cron. The constructor builds every part
 * in order (store, persistence, replication, command families and ACL, scripting); what runs at the end
 * of each event-loop turn (beforeSleep), in the cron and at shutdown is written out below as ordered calls
 * on the parts that own the work, as Redis's beforeSleep and serverCron are.
 */

const PUBSUB_ALLOWED = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

export class Server {
  readonly keyspace: Keyspace;
  /** used_memory as Tandem counts it (used-memory.ts). */
  readonly usedMemory: UsedMemory;
  /** maxmemory and its policies (evict.ts). */
  readonly evictor: Evictor;
  /** The cron's walk over keys with a TTL (active-expire.ts). */
  readonly activeExpire: ActiveExpire;
  readonly registry = new CommandRegistry();
  readonly propagator = new Propagator();
  readonly watches = new WatchRegistry();
  /** Clients blocked on keys (BLPOP, BZPOPMIN, ...) and the keys ready to serve them. */
  readonly blocking = new Blocking(this);
  readonly pubsub = new PubSub();
  readonly info = new InfoBuilder(this);
  // Introspection (introspection.ts wires their configuration): each costs call() one test while idle.
  readonly monitors = new Monitors();
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  readonly tracking = new Tracking(this);
  /** latency-tracking: per-command latency histograms (LATENCY HISTOGRAM). */
  latencyTracking = true;
  readonly clients = new Map<number, Client>();
  readonly startedAt = Date.now();
  readonly runId: string;

  /** Users, authentication and permissions (ACL). */
  readonly acl: Acl;

  // Cached configuration read on hot paths (kept current by config listeners).
  protoMaxBulkLen = 512 * 1024 * 1024;
  maxClients = 10000;
  replicaReadOnly = true;
  replicaServeStaleData = true;
  minReplicasToWrite = 0;
  busyReplyThreshold = 5000;

  /** Changes since the last save (Redis's server.dirty). */
  dirty = 0;
  /** True while a dataset is loading (start-up, full sync): commands without the LOADING flag wait. */
  loading = false;
  /**
   * Why writes are refused after a failed save (Redis's writeCommandsDeniedByDiskError), or null. The
   * persistence layer installs it; write commands and PING get this -MISCONF error while it is non-null.
   */
  diskError: () => string | null = () => null;
  /** RDB saves, the AOF and start-up loading (persistence-service.ts). */
  readonly persistence: PersistenceService;
  /** Both ends of replication (src/replication): the role, the stream to replicas, the link to a master. */
  readonly replication: Replication;
  /** The client whose command is executing (propagation sinks note its replication offset, for WAIT). */
  currentClient: Client | null = null;
  /** Lua scripting (EVAL, FUNCTION): interpreter states, script cache, function libraries. */
  readonly scripting: ScriptingEngine;
  /** A script running past busy-reply-threshold: other clients get -BUSY (Redis's scriptIsTimedout). */
  busyScript: ScriptRun | null = null;
  /** Set by CLIENT PAUSE while a pause is in effect (processCommand postpones commands then). */
  clientPause: ClientPause | null = null;
  /** Ends the process after SHUTDOWN; the CLI sets it (tests embedding a Server may leave it). */
  exitProcess: (code: number) => void = () => {};
  /** Client ids are unique per server, from 1 (Redis's server.next_client_id). */
  nextClientId = 1;

  readonly stats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    /** Handlers that threw (commandException). */
    commandExceptions: 0,
    errorsByPrefix: new Map<string, number>(),
  };

  private readonly listeners: NetServer[] = [];
  private cronTimer: NodeJS.Timeout | null = null;
  /** The ports actually bound (useful with port 0 in tests); 0 when only TLS listens. */
  boundPort = 0;
  /** The `tls-port` listeners, TLS contexts and the replication link's TLS settings. */
  readonly tls: ServerTls;

  constructor(
    readonly config: ServerConfig,
    readonly log: Logger,
  ) {
    // ─── built in order: each part only uses the ones above it ───
    // 1. The store, and what accounts for its memory.
    this.keyspace = new Keyspace(config.getInt("databases"));
    this.usedMemory = new UsedMemory(this.keyspace);
    this.evictor = new Evictor(this);
    this.activeExpire = new ActiveExpire(this.keyspace);
    this.runId = randomHex(40);
    this.keyspace.onExpired = (db, key) => this.onKeyExpired(db, key);
    // 2. Persistence, then replication (its host reads the aux fields of the RDB loaded at start-up).
    this.persistence = new PersistenceService(this);
    this.replication = serverReplication(this, this.persistence);
    // What a command propagates goes to the AOF, then to the replicas (Redis's propagateNow).
    this.propagator.sinks.push(this.persistence, replicationSink(this, this.replication));
    // 3. The command families; the ACL knows the commands by their original names, so it is built
    //    before any rename-command.
    for (const family of allCommandFamilies) this.registry.register(family);
    this.acl = new Acl(this);
    for (const d of config.renameCommands) {
      const err = this.registry.rename(d.args[0], d.args[1]);
      if (err !== null) throw new ConfigError(err, d.file, d.line);
    }
    this.acl.loadAtStartup(config.users);
    config.userLines = () => (config.get("aclfile") !== "" ? [] : this.acl.describeAll());
    // 4. Scripting (its clients run as the ACL's default user).
    this.scripting = new ScriptingEngine(this);
    // 5. Configuration the dispatcher caches, introspection's settings, TLS.
    config.onChange("proto-max-bulk-len", (v) => {
      this.protoMaxBulkLen = Number(v);
      for (const c of this.clients.values()) c.parser.maxBulkLen = this.protoMaxBulkLen;
    });
    config.onChange("maxclients", (v) => (this.maxClients = Number(v)));
    config.onChange("replica-read-only", (v) => (this.replicaReadOnly = v === "yes"));
    config.onChange("replica-serve-stale-data", (v) => (this.replicaServeStaleData = v === "yes"));
    config.onChange("min-replicas-to-write", (v) => (this.minReplicasToWrite = Number(v)));
    config.onChange("notify-keyspace-events", (v) => {
      this.notifyKeyspaceEvent = makeKeyspaceNotifier(keyspaceEventsFlags(v), this.pubsub);
    });
    config.onChange("busy-reply-threshold", (v) => (this.busyReplyThreshold = Number(v)));
    installIntrospection(this);
    this.tls = new ServerTls(config, log, (socket) => this.accept(socket));
    config.setApplier("tls", () => this.tls.apply());
    // The thresholds values follow to track the encoding Redis would give them (encoding-config.ts).
    const enc = encodingConfig;
    config.onChange("hash-max-listpack-entries", (v) => (enc.hashMaxListpackEntries = Number(v)));
    config.onChange("hash-max-listpack-value", (v) => (enc.hashMaxListpackValue = Number(v)));
    config.onChange("zset-max-listpack-entries", (v) => (enc.zsetMaxListpackEntries = Number(v)));
    config.onChange("zset-max-listpack-value", (v) => (enc.zsetMaxListpackValue = Number(v)));
    config.onChange("set-max-intset-entries", (v) => (enc.setMaxIntsetEntries = Number(v)));
    config.onChange("list-max-listpack-size", (v) => (enc.listMaxListpackSize = Number(v)));
  }

  // ─── listening ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Binds every `bind` address (a "-" prefix marks one that may fail) on `port` and, with `tls-port`, on
   * that port with TLS, then starts the cron. As in Redis, `port 0` with a `tls-port` listens with TLS
   * only (without a `tls-port`, port 0 binds an ephemeral port: tests embed servers that way).
   */
  async listen(): Promise<void> {
    const port = this.config.getInt("port");
    const tlsPort = this.config.getInt("tls-port");
    if (this.tls.wanted) {
      const reason = this.tls.configure();
      if (reason !== null) throw new Error(`${reason}\n${TLS_STARTUP_FAILED}`);
    }
    const binds = this.config
      .get("bind")
      .split(" ")
      .filter((b) => b !== "");
    if (port !== 0 || tlsPort === 0) {
      this.boundPort = await this.bindAll(binds, port, "TCP", (host, p) => this.listenOn(host, p));
      if (this.boundPort === 0) throw new Error("Failed listening on any bind address");
    }
    if (tlsPort !== 0) {
      const backlog = this.config.getInt("tcp-backlog");
      const bound = await this.bindAll(binds, tlsPort, "TLS", (host, p) =>
        this.tls.listenOn(host, p, backlog),
      );
      if (bound === 0) throw new Error(`Failed listening on port ${tlsPort} (TLS), aborting.`);
    }
    const hz = () => this.config.getInt("hz");
    const tick = () => {
      this.cron();
      this.cronTimer = setTimeout(tick, 1000 / hz());
    };
    this.cronTimer = setTimeout(tick, 1000 / hz());
  }

  /** Listens on each bind address; returns the port bound (0 when none was). */
  private async bindAll(
    binds: readonly string[],
    port: number,
    kind: "TCP" | "TLS",
    listenOn: (host: string, port: number) => Promise<number>,
  ): Promise<number> {
    let bound = 0;
    let wanted = port;
    for (const raw of binds) {
      const optional = raw.startsWith("-");
      const addr = optional ? raw.slice(1) : raw;
      const host = addr === "*" ? "0.0.0.0" : addr === "::*" ? "::" : addr;
      try {
        const actual = await listenOn(host, wanted);
        if (wanted === 0) wanted = actual; // port 0: every address shares the first ephemeral port
        bound = actual;
      } catch (err) {
        if (!optional)
          throw new Error(
            `Could not create server ${kind} listening socket ${addr}:${port}: ${(err as Error).message}`,
          );
      }
    }
    return bound;
  }

  private listenOn(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      // Paused on connect: accept() moves each socket onto direct reads (net/direct-reads.ts). TLS
      // listeners are ServerTls's.
      const srv = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
      srv.once("error", reject);
      srv.listen(
        { host, port, backlog: this.config.getInt("tcp-backlog"), ipv6Only: host.includes(":") },
        () => {
          srv.off("error", reject);
          this.listeners.push(srv);
          const a = srv.address();
          resolve(typeof a === "object" && a ? a.port : port);
        },
      );
    });
  }

  private accept(accepted: Socket): void {
    // Redis's accept loop ends on EAGAIN, which clears a stale ERANGE that SORT would otherwise see.
    cErrno.erange = false;
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.maxClients) {
      this.stats.rejectedConnections++;
      refuse(accepted, `-${ERR_MAX_CLIENTS}\r\n`);
      return;
    }
    if (
      protectedModeDenies(
        this.config.getBool("protected-mode"),
        this.acl.defaultUser.nopass,
        accepted.remoteAddress ?? "",
      )
    ) {
      this.stats.rejectedConnections++;
      refuse(accepted, `-${PROTECTED_MODE_DENIED}\r\n`);
      return;
    }
    // Reads go straight into the shared read buffer (no Buffer and no stream event per read); the client's
    // parser copies what it keeps. Where the runtime does not allow it, 'data' events as usual.
    let c: Client | null = null;
    const direct =
      accepted instanceof TLSSocket
        ? null // TLS decrypts in its own buffers
        : adoptWithDirectReads(accepted, (buf, length) => {
            this.stats.netInputBytes += length;
            (c as Client).onData(buf, length);
          });
    const socket = direct ?? accepted;
    socket.setNoDelay(true);
    const keepalive = this.config.getInt("tcp-keepalive");
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    c = new Client(this, socket);
    const client = c;
    this.clients.set(client.id, client);
    if (direct === null) {
      socket.on("data", (chunk: Buffer) => {
        this.stats.netInputBytes += chunk.length;
        client.onData(chunk);
      });
      socket.resume();
    }
    socket.on("error", () => client.destroy());
    socket.on("close", () => client.close());
  }

  /** Removes a closed client from every registry. */
  unlinkClient(c: Client): void {
    this.clients.delete(c.id);
    this.watches.unwatchAll(c);
    if (c.channels.size !== 0 || c.patterns.size !== 0 || c.shardChannels.size !== 0) {
      this.pubsub.removeClient(c);
    }
    if (c.flags & (ClientFlag.MONITOR | ClientFlag.TRACKING)) {
      this.monitors.remove(c);
      this.tracking.removeClient(c);
    }
  }

  // ─── end of the event-loop turn (Redis's beforeSleep) ────────────────────────────────────────────────

  /** Clients that have replies from this turn's reads; written together once the reads are done. */
  private readonly pendingFlush: Client[] = [];
  private beforeSleepScheduled = false;

  /**
   * Queues a client's replies for the end of this event-loop turn. As in Redis, the AOF is written and
   * the replicas get the turn's replication stream before any client gets a reply: a client that has seen its write
   * acknowledged can find it already on its way to every replica (a replica's lag then starts at the
   * reply, not after the rest of the turn), and the turn costs one write per replica and per client.
   */
  queueFlush(c: Client): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    this.pendingFlush.push(c);
    this.requestBeforeSleep();
  }

  /** Makes sure beforeSleep runs at the end of this turn (the AOF and the replication layer ask too). */
  requestBeforeSleep(): void {
    if (this.beforeSleepScheduled) return;
    this.beforeSleepScheduled = true;
    setImmediate(this.beforeSleep);
  }

  /**
   * The end of an event-loop turn (Redis's beforeSleep), in this order:
   * 1. BCAST invalidations of client-side caching go out first, ahead of this turn's replies, so a client
   *    never reads a reply before the invalidation of a key that reply depended on.
   * 2. The AOF buffer is written, under appendfsync's policy (Redis's flushAppendOnlyFile), before any
   *    replica or client sees the turn's writes: what was acknowledged is in the file.
   * 3. The replicas get the turn's replication stream (one write each), before the clients' replies: a
   *    client that has seen its write acknowledged finds it already on its way to every replica.
   * 4. The clients' replies, one corked write per client (Redis's handleClientsWithPendingWrites).
   * Steps 1–3 ask for this function with requestBeforeSleep, so one setImmediate serves the whole turn.
   */
  private readonly beforeSleep = (): void => {
    this.beforeSleepScheduled = false;
    this.tracking.broadcastInvalidations();
    this.persistence.flushAppendOnlyFile();
    this.replication.flushReplicaOutput();
    const list = this.pendingFlush;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      c.flushQueued = false;
      c.flush();
    }
    list.length = 0;
  };

  /** A client's socket buffer is full: stop reading from it until it drains (bounded memory). */
  onClientOutputBacklog(c: Client): void {
    const socket = c.socket;
    if (!socket) return;
    if (this.overOutputBufferLimits(c, socket.writableLength)) {
      c.log.warn({ bytes: socket.writableLength }, "closing client over its output buffer limit");
      c.destroy();
      return;
    }
    if (socket.isPaused()) return;
    socket.pause();
    socket.once("drain", () => {
      if (!c.isClosed) socket.resume();
    });
  }

  /**
   * client-output-buffer-limit <class> <hard> <soft> <soft-seconds> (Redis's checkClientOutputBufferLimits):
   * over the hard limit at once, or over the soft limit continuously for soft-seconds. 0 disables a limit.
   */
  private overOutputBufferLimits(c: Client, bytes: number): boolean {
    const cls = c.flags & ClientFlag.SLAVE ? "slave" : c.flags & ClientFlag.PUBSUB ? "pubsub" : "normal";
    const parts = this.config.get("client-output-buffer-limit").split(" ");
    const i = parts.indexOf(cls);
    if (i < 0) return false;
    const hard = Number(parts[i + 1]);
    const soft = Number(parts[i + 2]);
    const softSeconds = Number(parts[i + 3]);
    if (hard > 0 && bytes >= hard) return true;
    if (soft > 0 && bytes >= soft) {
      const since = c.obufSoftLimitReachedTime;
      const now = Date.now();
      if (since === 0) c.obufSoftLimitReachedTime = now;
      else if (now - since > softSeconds * 1000) return true;
    } else {
      c.obufSoftLimitReachedTime = 0;
    }
    return false;
  }

  // ─── the dispatcher ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs one command from a client through Redis's processCommand guards, in Redis's order; each guard
   * answers with Redis's exact error. Then queues it (MULTI) or calls it.
   */
  processCommand(c: Client, argv: string[]): void {
    let cmd = this.registry.lookup(argv[0]);
    if (cmd === undefined) {
      this.rejectCommand(c, null, errUnknownCommand(argv));
      return;
    }
    if (cmd.subcommands !== null && argv.length >= 2) {
      const sub = cmd.subcommands.get(argv[1].toLowerCase());
      if (sub === undefined) {
        this.rejectCommand(c, null, errUnknownSubcommand(argv));
        return;
      }
      cmd = sub;
    }
    if (!arityOk(cmd.spec, argv.length) || (cmd.handler === null && cmd.subcommands !== null)) {
      this.rejectCommand(c, cmd, errWrongArity(cmd.fullName));
      return;
    }
    let flags = cmd.spec.flags | (cmd.spec.parent?.flags ?? 0);
    // EVAL/FCALL of a script that declared flags run with the flags they imply (Redis's getCommandFlags).
    if (flags & CommandFlag.SCRIPT_RUNNER) flags = this.scripting.commandFlags(cmd, argv, flags);
    const isMaster = (c.flags & ClientFlag.MASTER) !== 0;

    if (this.acl.authRequired && !c.authenticated && !(flags & CommandFlag.NO_AUTH)) {
      this.rejectCommand(c, cmd, ERR_NOAUTH);
      return;
    }
    // ACL (Redis's ACLCheckAllPerm): a user allowed every command, key and channel costs this one test.
    if (!c.user.unrestricted) {
      const denied = this.acl.denyCommand(c, cmd.spec, argv);
      if (denied !== null) {
        this.rejectCommand(c, cmd, denied);
        return;
      }
    }
    // maxmemory (Redis evicts here, before every command): a field test while no limit is set.
    if (this.evictor.maxmemory !== 0 && this.evictor.performEvictions() === EVICT_FAIL) {
      const name = cmd.spec.parent?.name ?? cmd.spec.name;
      let reject = (flags & CommandFlag.DENYOOM) !== 0;
      if (name === "exec") {
        for (const q of c.mstate)
          if ((q.cmd.spec.flags | (q.cmd.spec.parent?.flags ?? 0)) & CommandFlag.DENYOOM) reject = true;
      } else if (c.flags & ClientFlag.MULTI && name !== "discard" && name !== "quit" && name !== "reset") {
        // Queuing takes memory too: in MULTI everything but EXEC/DISCARD is refused.
        reject = true;
      }
      if (reject) {
        this.rejectCommand(c, cmd, ERR_OOM);
        return;
      }
    }
    const isWrite = (flags & CommandFlag.WRITE) !== 0;
    // Redis refuses PING too here, so a health check notices the disk problem.
    if ((isWrite || cmd.spec.name === "ping") && !isMaster) {
      const diskError = this.diskError();
      if (diskError !== null) {
        this.rejectCommand(c, cmd, diskError);
        return;
      }
    }
    const replica = this.replication.isReplica();
    if (isWrite && !replica && this.minReplicasToWrite > 0 && !isMaster) {
      if (this.replication.goodReplicaCount() < this.minReplicasToWrite) {
        this.rejectCommand(c, cmd, ERR_NOREPLICAS);
        return;
      }
    }
    if (isWrite && replica && this.replicaReadOnly && !isMaster) {
      this.rejectCommand(c, cmd, ERR_READONLY);
      return;
    }
    if (
      c.flags & ClientFlag.PUBSUB &&
      c.reply.proto === 2 &&
      !PUBSUB_ALLOWED.has(cmd.spec.parent?.name ?? cmd.spec.name)
    ) {
      this.rejectCommand(
        c,
        cmd,
        `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
      return;
    }
    if (
      replica &&
      !isMaster &&
      !this.replicaServeStaleData &&
      !this.replication.masterLinkUp() &&
      !(flags & CommandFlag.STALE)
    ) {
      this.rejectCommand(c, cmd, ERR_MASTERDOWN);
      return;
    }
    if (this.loading && !(flags & CommandFlag.LOADING)) {
      this.rejectCommand(c, cmd, ERR_LOADING);
      return;
    }
    if (this.busyScript !== null && !(flags & CommandFlag.ALLOW_BUSY)) {
      this.rejectCommand(c, cmd, this.busyScript.isEval ? ERR_BUSY_EVAL : ERR_BUSY_FUNCTION);
      return;
    }
    if (this.clientPause?.active && this.clientPause.postpones(c, cmd, argv, flags)) return;
    if (c.flags & ClientFlag.MULTI && !MULTI_IMMEDIATE.has(cmd.spec.parent?.name ?? cmd.spec.name)) {
      if (flags & CommandFlag.NO_MULTI) {
        this.rejectCommand(c, cmd, "ERR Command not allowed inside a transaction");
        return;
      }
      c.mstate.push({ cmd, argv });
      c.reply.raw("+QUEUED\r\n");
      return;
    }
    this.call(c, cmd, argv);
    // Serve clients blocked on keys this command (or the EXEC it was) pushed to, as Redis does after call().
    // (Not while a slow script is suspended: its keys are served when it ends, as one atomic unit.)
    if (this.blocking.hasReadyKeys && this.busyScript === null) this.blocking.handleClientsBlockedOnKeys();
  }

  /**
   * Every rejection before a command runs (Redis's rejectCommand): the transaction is flagged so EXEC
   * aborts, the command's rejected_calls and the error stats count it, the client gets the error.
   * `cmd` is null when the name (or subcommand) is unknown.
   */
  private rejectCommand(c: Client, cmd: RegisteredCommand | null, message: string): void {
    if (c.flags & ClientFlag.MULTI) c.flags |= ClientFlag.DIRTY_EXEC;
    if (cmd !== null) cmd.rejectedCalls++;
    if (cmd?.handler === execHandler) {
      // Redis's execCommandAbort: a refused EXEC ends the transaction and says why.
      discardTransaction(c);
      message = `EXECABORT Transaction discarded because of: ${message.startsWith("ERR ") ? message.slice(4) : message}`;
    }
    this.countError(message);
    c.reply.error(message);
  }

  private countError(message: string): void {
    this.stats.errorReplies++;
    const sp = message.indexOf(" ");
    const prefix = sp < 0 ? message : message.slice(0, sp);
    this.stats.errorsByPrefix.set(prefix, (this.stats.errorsByPrefix.get(prefix) ?? 0) + 1);
  }

  /** Executes a command (Redis's call()): stats, then propagation if it changed the dataset. */
  call(c: Client, cmd: RegisteredCommand, argv: string[]): void {
    c.argv = argv;
    c.cmd = cmd;
    const dirtyBefore = this.dirty;
    const errorsBefore = c.reply.errors;
    const replyMark = c.reply.pendingBytes;
    const start = performance.now();
    const outerClient = this.currentClient;
    this.currentClient = c;
    this.propagator.begin();
    try {
      cmd.handler!(c, argv);
    } catch (err) {
      this.commandException(c, cmd, argv, err, replyMark);
    } finally {
      const usec = (performance.now() - start) * 1000;
      cmd.calls++;
      cmd.usec += usec;
      this.stats.commandsProcessed++;
      if (c.reply.errors !== errorsBefore) {
        cmd.failedCalls++;
        this.stats.errorReplies++;
        const p = c.reply.lastErrorPrefix;
        this.stats.errorsByPrefix.set(p, (this.stats.errorsByPrefix.get(p) ?? 0) + 1);
      }
      if (
        this.dirty !== dirtyBefore &&
        !(c.flags & ClientFlag.PREVENT_PROP) &&
        cmd.spec.flags & CommandFlag.WRITE
      ) {
        this.propagator.add(c.db.id, c.argv);
      }
      c.flags &= ~ClientFlag.PREVENT_PROP;
      this.propagator.end();
      // ─── introspection, as Redis's call(): one test each while the feature is off ───
      if (c.block === null) {
        if (this.latencyTracking) cmd.recordLatency(usec);
        if (usec >= this.slowlog.slowerThan) this.logSlowCommand(c, cmd, argv, usec);
      } else {
        c.blockedCall = { cmd, argv, usec }; // logged when served (afterBlockedCall), as Redis does
      }
      if (usec >= this.latency.thresholdUs) {
        this.latency.addSample(
          cmd.spec.flags & CommandFlag.FAST ? "fast-command" : "command",
          Math.floor(usec / 1000),
        );
      }
      if (
        this.monitors.clients.size !== 0 &&
        !(cmd.spec.flags & (CommandFlag.ADMIN | CommandFlag.SKIP_MONITOR))
      ) {
        this.monitors.feed(c, c.db.id, redactedArgv(cmd.spec.parent?.name ?? cmd.spec.name, argv));
      }
      if (c.flags & ClientFlag.TRACKING) this.tracking.rememberKeys(c, cmd, argv);
      if (outerClient === null && this.tracking.hasPending) this.tracking.sendPending(c);
      // ─── end of introspection ───
      this.currentClient = outerClient;
      c.lastCmd = cmd;
      c.cmd = null;
    }
  }

  /**
   * A handler threw: a bug of ours, never the client's. Redis would crash and log a report naming the
   * client and its command; one bad command must not take the other clients down here, so the report goes
   * to the server's log (warning: the client's CLIENT LIST line, the command's arguments redacted and cut
   * as the slow log does, the stack), the partial reply is dropped, the client gets an -ERR and the
   * server serves on. `tandem_command_exceptions` in INFO stats counts these. What the command changed
   * before it threw stays, and call() propagates it as any write (the same handler on a replica or on AOF
   * replay runs to the same point).
   */
  private commandException(
    c: Client,
    cmd: RegisteredCommand,
    argv: string[],
    err: unknown,
    replyMark: number,
  ): void {
    this.stats.commandExceptions++;
    const name = cmd.spec.parent?.name ?? cmd.spec.name;
    this.log.warn(
      {
        client: clientInfoString(c),
        argv: slowlogArgv(redactedArgv(name, argv)),
        err,
      },
      `Exception in command '${cmd.fullName}'; the client gets an error, the server goes on`,
    );
    // Output taken mid-command cannot be recalled: close that connection after the error instead.
    if (!c.reply.discardAfter(replyMark)) c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
    const message = err instanceof Error ? err.message : String(err);
    c.reply.error(`ERR internal error executing '${cmd.fullName}': ${message.replace(/[\r\n]+/g, " ")}`);
  }

  /** updateStatsOnUnblock: a blocking command is logged and timed once it is served or times out. */
  afterBlockedCall(c: Client, call: { cmd: RegisteredCommand; argv: string[]; usec: number }): void {
    if (this.latencyTracking) call.cmd.recordLatency(call.usec);
    if (call.usec >= this.slowlog.slowerThan) this.logSlowCommand(c, call.cmd, call.argv, call.usec);
  }

  /** slowlogPushCurrentCommand: the arguments as the client sent them, secrets redacted. */
  private logSlowCommand(c: Client, cmd: RegisteredCommand, argv: string[], usec: number): void {
    if (cmd.spec.flags & CommandFlag.SKIP_SLOWLOG) return;
    this.slowlog.push(redactedArgv(cmd.spec.parent?.name ?? cmd.spec.name, argv), usec, c.addr, c.name);
  }

  // ─── keyspace events shared by the command families ─────────────────────────────────────────────────

  /** A key changed: break WATCHes on it, invalidate client caches (Redis's signalModifiedKey). */
  signalModifiedKey(db: Database, key: string): void {
    if (this.watches.size !== 0) this.watches.touch(db, key);
    if (this.tracking.active) this.tracking.invalidateKey(this.currentClient, key);
    // Any write may have put a list/zset under a key someone blocks on (RENAME, MOVE, COPY, SORT STORE...),
    // as Redis's dbAdd signals it; free when nobody is blocked, and serving re-checks the type.
    this.blocking.signalKeyAsReady(db, key);
  }

  /**
   * Call before a db is emptied (FLUSHDB/FLUSHALL): watches on its existing keys break, and clients blocked
   * on its keys are looked at again (an XREADGROUP waiter whose stream vanished gets -UNBLOCKED).
   */
  signalFlushedDb(db: Database): void {
    if (this.watches.size !== 0) this.watches.touchDb(db, (k) => db.exists(k));
    if (this.blocking.blockedCount !== 0) this.blocking.signalBlockedKeys(db);
    this.tracking.invalidateAll();
  }

  /** Keyspace notifications; the pub/sub module replaces this when `notify-keyspace-events` is set. */
  notifyKeyspaceEvent: (type: number, event: string, key: string, dbId: number) => void = () => {};

  private onKeyExpired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    if (this.watches.size !== 0) this.watches.touch(db, key, true);
    if (this.tracking.active) this.tracking.invalidateKey(null, key);
    this.notifyKeyspaceEvent(Notify.EXPIRED, "expired", key, db.id);
    this.propagator.add(db.id, ["DEL", key]);
    // A stream that expired ends its XREADGROUP waiters (Redis's dbGenericDelete signals it).
    this.blocking.signalKeyAsReady(db, key);
  }

  // ─── cron ───────────────────────────────────────────────────────────────────────────────────────────

  private cron(): void {
    // While a slow script is suspended nothing may change the dataset under it (expiry, saves).
    if (this.busyScript !== null) return;
    const now = Date.now();
    this.keyspace.clock.refresh(now);
    this.usedMemory.total(); // samples the peak
    if (!this.keyspace.isReplica) {
      const start = performance.now();
      this.activeExpire.cycle(now);
      this.latency.addSampleIfNeeded("expire-cycle", performance.now() - start);
    }
    this.closeIdleClients(now);
    this.info.trackInstantaneousMetrics(now);
    // Client-side caching's table bound (Redis's trackingLimitUsedSlots), so a lowered limit applies idle.
    if (this.tracking.clients !== 0) this.tracking.limitUsedSlots();
    // Scheduled and `save`-point BGSAVEs, automatic AOF rewrites; then replication (pings, timeouts, acks).
    this.persistence.cron(now);
    this.replication.cron(now);
  }

  private closeIdleClients(now: number): void {
    const timeout = this.config.getInt("timeout");
    if (timeout <= 0) return;
    for (const c of this.clients.values()) {
      if (c.flags & (ClientFlag.SLAVE | ClientFlag.MASTER | ClientFlag.PUBSUB | ClientFlag.BLOCKED)) continue;
      if (now - c.lastInteraction > timeout * 1000) {
        c.log.debug("closing idle client");
        c.close();
      }
    }
  }

  // ─── shutdown ───────────────────────────────────────────────────────────────────────────────────────

  private shuttingDown = false;

  /** Stops accepting, fsyncs the AOF and saves (as asked), sends replicas their last bytes, closes clients. */
  async shutdown(opts: { save: boolean | null } = { save: null }): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.cronTimer) clearTimeout(this.cronTimer);
    for (const l of this.listeners) l.close();
    this.tls.close();
    this.persistence.onShutdown(opts.save);
    this.replication.flushReplicaOutput();
    for (const c of [...this.clients.values()]) c.destroy();
  }
}

function randomHex(n: number): string {
  return randomBytes(Math.ceil(n / 2))
    .toString("hex")
    .slice(0, n);
}

/** Writes Redis's refusal to a connection that is not accepted as a client, then closes it. */
function refuse(socket: Socket, reply: string): void {
  socket.on("error", () => {});
  socket.resume(); // paused on connect: read (and drop) until the peer's end, so the close completes
  socket.end(reply);
}
