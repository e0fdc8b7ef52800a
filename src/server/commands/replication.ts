import { loadRdb } from "../../persistence/rdb-loader.js";
import { snapshotRdb } from "../../persistence/rdb-snapshot.js";
import { SlaveCapa } from "../../replication/attached-replica.js";
import { Replication } from "../../replication/replication.js";
import type { RdbCodec, ReplicaClientHandle, ReplicationHost } from "../../replication/replication-host.js";
import { parseInteger } from "../arguments.js";
import { Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { persistenceOf } from "../persistence-service.js";
import type { Server } from "../server.js";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_TIMEOUT_INVALID, ERR_TIMEOUT_NEGATIVE } from "../shared-replies.js";

/**
 * Command family: REPLICAOF/SLAVEOF, ROLE, PSYNC, SYNC, REPLCONF, WAIT, WAITOFFSET — and the wiring that
 * plugs src/replication into the server: the host interface it needs, the propagation sink, the cron
 * task, INFO replication and the sync_* stats, and the dispatcher's ReplicationView.
 */

// ─── wiring ──────────────────────────────────────────────────────────────────────────────────────────────

const replications = new WeakMap<Server, Replication>();

/** The replication state of a server (set up by `setupReplication`). */
export function replicationOf(server: Server): Replication {
  const r = replications.get(server);
  if (r === undefined) throw new Error("replication is not set up on this server");
  return r;
}

/** The client that applies our master's stream; replies are dropped (ClientFlag.MASTER). */
function createMasterClient(server: Server, dbId: number) {
  const c = new Client(server, null);
  c.flags |= ClientFlag.MASTER;
  c.authenticated = true;
  // Redis's master client has no user: nothing it applies is subject to the ACL.
  c.user = server.acl.superUser;
  c.db = server.keyspace.dbs[dbId] ?? server.keyspace.dbs[0];
  c.name = "master";
  const pending: string[][] = [];
  return {
    execute(argv: string[]): void {
      // While a slow script runs, the master's stream waits (Redis stops reading its master then).
      if (server.busyScript !== null || pending.length > 0) {
        if (pending.length === 0) {
          server.scripting.afterBusy.push(() => {
            for (const a of pending.splice(0)) server.processCommand(c, a);
          });
        }
        pending.push(argv);
        return;
      }
      server.processCommand(c, argv);
    },
    get dbId(): number {
      return c.db.id;
    },
    discardReplies(): void {
      if (c.reply.pendingBytes > 0) c.reply.takeChunks();
    },
    close(): void {
      c.close();
    },
  };
}

/** The persistence layer's point-in-time snapshot and streaming loader: a full sync's payload. */
const persistenceRdb: RdbCodec = {
  snapshot: (keyspace, aux) => snapshotRdb(keyspace, aux),
  load: (source, keyspace) => loadRdb(source, keyspace),
};

/**
 * Creates the server's replication state and plugs it in. A `replicaof` in the configuration takes
 * effect on `start()` (after the dataset was loaded).
 */
export function setupReplication(server: Server, rdb: RdbCodec | null = persistenceRdb): Replication {
  const host: ReplicationHost = {
    keyspace: server.keyspace,
    config: server.config,
    log: server.log.child({ module: "replication" }),
    // As Redis's replica announces itself: its TLS port when it replicates over TLS and has one.
    listeningPort: () =>
      server.config.getBool("tls-replication") && server.tls.boundPort !== 0
        ? server.tls.boundPort
        : server.boundPort || server.config.getInt("port"),
    masterTlsOptions: () => server.tls.replicationOptions(),
    setLoading: (on) => {
      server.loading = on;
    },
    emptyData: () => {
      for (const db of server.keyspace.dbs) {
        server.signalFlushedDb(db);
        db.flush();
      }
    },
    createMasterClient: (dbId) => createMasterClient(server, dbId),
    disconnectBlockedClients: () => disconnectAllBlockedClients(server),
    loadedAux: () => persistenceOf(server).loadedAux,
    rdb,
    endOfTurn: () => server.requestBeforeSleep(),
  };
  const repl = new Replication(host);
  replications.set(server, repl);
  // Dumps carry repl-id/repl-offset/repl-stream-db while there is a history to continue (rdbSaveInfo).
  persistenceOf(server).replicationAux = () => {
    const info = repl.rdbSaveInfo();
    return info === null
      ? {}
      : { replId: info.replId, replOffset: info.replOffset, replStreamDb: info.replStreamDb };
  };
  server.replication = repl;
  server.usedMemory.replicationBacklog = () => repl.backlog?.histlen ?? 0;
  server.beforeSleepHooks.push(() => repl.flushReplicaOutput());
  server.propagator.sinks.push({
    feed: (ops) => {
      const before = repl.masterReplOffset;
      repl.feed(ops);
      // Redis's c->woff: the offset right after this client's last propagated write, for WAIT.
      const c = server.currentClient;
      if (c !== null && repl.masterReplOffset !== before) c.ext.woff = repl.masterReplOffset;
    },
  });
  server.cronTasks.push((now) => repl.cron(now));
  server.shutdownTasks.push(() => repl.flushReplicaOutput());
  server.info.setSection("replication", () => repl.infoFields());
  server.info.addFields("stats", () => [
    ["sync_full", repl.stats.syncFull],
    ["sync_partial_ok", repl.stats.syncPartialOk],
    ["sync_partial_err", repl.stats.syncPartialErr],
  ]);
  const replicaof = server.config.get("replicaof");
  if (replicaof !== "") {
    const [h, p] = replicaof.split(" ");
    repl.configureFromStartup(h, Number(p));
  }
  return repl;
}

/**
 * Redis's disconnectAllBlockedClients, on becoming a replica: every client blocked on keys, WAIT or
 * WAITOFFSET gets -UNBLOCKED and is closed after the reply (what it waited for belongs to the old role).
 * Clients held by CLIENT PAUSE are not blocked in that sense and stay.
 */
function disconnectAllBlockedClients(server: Server): void {
  for (const c of [...server.clients.values()]) {
    const block = c.block;
    if (block === null || block.kind === "pause" || block.kind === "sleep") continue;
    block.onCancel?.("unblock-error");
    c.reply.error(
      "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
    );
    c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
    c.unblock();
  }
}

// ─── REPLICAOF / SLAVEOF ─────────────────────────────────────────────────────────────────────────────────

function replicaofCommand(c: Client, argv: string[]): void {
  const repl = replicationOf(c.server);
  if (argv[1].toLowerCase() === "no" && argv[2].toLowerCase() === "one") {
    if (repl.isReplica()) {
      repl.unsetMaster();
      c.log.info({ by: c.addr }, "MASTER MODE enabled (user request)");
    }
    c.reply.ok();
    return;
  }
  if (c.flags & ClientFlag.SLAVE) {
    c.reply.error("ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInteger(argv[2]);
  if (port === null || port < 0 || port > 65535) {
    c.reply.error("ERR Invalid master port");
    return;
  }
  if (!repl.setMaster(argv[1], port)) {
    c.reply.raw("+OK Already connected to specified master\r\n");
    return;
  }
  c.log.info({ master: `${argv[1]}:${port}`, by: c.addr }, "REPLICAOF enabled (user request)");
  c.reply.ok();
}

// ─── ROLE ────────────────────────────────────────────────────────────────────────────────────────────────

function roleCommand(c: Client): void {
  const role = replicationOf(c.server).roleInfo();
  if (role.role === "master") {
    c.reply.arrayHeader(3);
    c.reply.bulk("master");
    c.reply.integer(role.offset);
    c.reply.arrayHeader(role.replicas.length);
    for (const r of role.replicas) {
      c.reply.arrayHeader(3);
      c.reply.bulk(r.ip);
      c.reply.bulk(String(r.port));
      c.reply.bulk(String(r.offset));
    }
    return;
  }
  c.reply.arrayHeader(5);
  c.reply.bulk("slave");
  c.reply.bulk(role.host);
  c.reply.integer(role.port);
  c.reply.bulk(role.state);
  c.reply.integer(role.offset);
}

// ─── PSYNC / SYNC / REPLCONF ─────────────────────────────────────────────────────────────────────────────

interface ReplconfState {
  port: number;
  ip: string;
  capa: number;
  handle: ReplicaClientHandle | null;
}

function replconfState(c: Client): ReplconfState {
  let s = c.ext.replconf as ReplconfState | undefined;
  if (s === undefined) {
    s = { port: 0, ip: "", capa: 0, handle: null };
    c.ext.replconf = s;
  }
  return s;
}

function syncCommand(c: Client, argv: string[]): void {
  if (c.flags & ClientFlag.SLAVE) return; // already a replica: ignore, as Redis does
  if (c.socket === null) return;
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR Command is not valid in a MULTI context");
    return;
  }
  const repl = replicationOf(c.server);
  const st = replconfState(c);
  const socket = c.socket;
  const handle: ReplicaClientHandle = { id: c.id, socket, addr: c.addr, close: () => c.close() };
  c.flush(); // earlier replies (REPLCONF +OK) go out before the stream written straight to the socket
  const err = repl.syncCommand(handle, argv, st);
  if (err !== null) {
    c.reply.error(err);
    return;
  }
  st.handle = handle;
  c.flags |= ClientFlag.SLAVE;
  c.onClose(() => repl.removeReplica(handle));
}

function replconfCommand(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const st = replconfState(c);
  for (let i = 1; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const val = argv[i + 1];
    if (opt === "listening-port") {
      const port = parseInteger(val);
      if (port === null) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      st.port = port;
    } else if (opt === "ip-address") {
      if (val.length >= 46) {
        c.reply.error(
          `ERR REPLCONF ip-address provided by replica instance is too long: ${val.length} bytes`,
        );
        return;
      }
      st.ip = val;
    } else if (opt === "capa") {
      if (val.toLowerCase() === "eof") st.capa |= SlaveCapa.EOF;
      else if (val.toLowerCase() === "psync2") st.capa |= SlaveCapa.PSYNC2;
    } else if (opt === "ack") {
      // Replicas send it on the stream connection and expect no reply.
      const off = parseInteger(val);
      if (off !== null && c.flags & ClientFlag.SLAVE && st.handle) {
        replicationOf(c.server).replconfAck(st.handle, off);
      }
      return;
    } else if (opt === "getack") {
      if (c.flags & ClientFlag.MASTER) replicationOf(c.server).ackToMaster();
      return;
    } else {
      c.reply.error(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
      return;
    }
  }
  c.reply.ok();
}

// ─── WAIT / WAITOFFSET ───────────────────────────────────────────────────────────────────────────────────

/** Redis's getTimeoutFromObjectOrReply in milliseconds; null when it replied an error. */
function timeoutArg(c: Client, s: string): number | null {
  const n = parseInteger(s);
  if (n === null) {
    c.reply.error(ERR_TIMEOUT_INVALID);
    return null;
  }
  if (n < 0) {
    c.reply.error(ERR_TIMEOUT_NEGATIVE);
    return null;
  }
  return n;
}

function waitCommand(c: Client, argv: string[]): void {
  const repl = replicationOf(c.server);
  if (repl.isReplica()) {
    c.reply.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
    return;
  }
  const numreplicas = parseInteger(argv[1]);
  if (numreplicas === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = timeoutArg(c, argv[2]);
  if (timeout === null) return;
  // The client's offset right after its last write (Redis's c->woff); the master's offset if unknown.
  const woff = (c.ext.woff as number | undefined) ?? 0;
  const acks = repl.countAcks(woff);
  if (acks >= numreplicas || c.flags & ClientFlag.MULTI) {
    c.reply.integer(acks);
    return;
  }
  let remove: () => void = () => {};
  c.blockOn({
    kind: "wait",
    deadline: timeout > 0 ? Date.now() + timeout : 0,
    onTimeout: () => {
      remove();
      c.reply.integer(repl.countAcks(woff));
    },
    onCancel: () => remove(),
  });
  remove = repl.waitForAcks(numreplicas, woff, {
    resolve: (n) => {
      remove();
      c.reply.integer(n);
      c.unblock();
    },
  });
}

function waitoffsetCommand(c: Client, argv: string[]): void {
  const repl = replicationOf(c.server);
  const target = parseInteger(argv[1]);
  if (target === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = timeoutArg(c, argv[2]);
  if (timeout === null) return;
  if (repl.masterReplOffset >= target || c.flags & ClientFlag.MULTI) {
    c.reply.integer(repl.masterReplOffset);
    return;
  }
  let remove: () => void = () => {};
  c.blockOn({
    kind: "waitoffset",
    deadline: timeout > 0 ? Date.now() + timeout : 0,
    onTimeout: () => {
      remove();
      c.reply.integer(repl.masterReplOffset);
    },
    onCancel: () => remove(),
  });
  remove = repl.waitForOffset(target, {
    resolve: (n) => {
      remove();
      c.reply.integer(n);
      c.unblock();
    },
  });
}

export const replicationCommands: CommandDef[] = [
  { name: "replicaof", handler: replicaofCommand },
  { name: "slaveof", handler: replicaofCommand },
  { name: "role", handler: roleCommand },
  { name: "psync", handler: syncCommand },
  { name: "sync", handler: syncCommand },
  { name: "replconf", handler: replconfCommand },
  { name: "wait", handler: waitCommand },
  { name: "waitoffset", handler: waitoffsetCommand },
];
