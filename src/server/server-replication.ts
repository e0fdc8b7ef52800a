import { loadRdb } from "../persistence/rdb-loader.js";
import { snapshotRdb } from "../persistence/rdb-snapshot.js";
import { Replication } from "../replication/replication.js";
import type { MasterClientHandle, RdbCodec, ReplicationHost } from "../replication/replication-host.js";
import { Client, ClientFlag } from "./client.js";
import type { PersistenceService } from "./persistence-service.js";
import type { PropagatedOp, PropagationSink } from "./propagator.js";
import type { Server } from "./server.js";

/**
 * Builds a server's replication state (src/replication) and what it needs from the server: the
 * ReplicationHost it talks through, the RDB codec for full syncs, the repl-id/offset aux fields of our
 * dumps, INFO replication and the sync_* stats. Called once, from the Server's constructor, after the
 * persistence service exists (the host reads the RDB aux fields loaded at start-up). A `replicaof` in the
 * configuration takes effect on `start()`, after the dataset was loaded.
 *
 * Where it runs at the end of a turn (flushReplicaOutput), in the cron and at shutdown is written out in
 * server.ts (beforeSleep, cron, shutdown), not registered here.
 */
export function serverReplication(server: Server, persistence: PersistenceService): Replication {
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
    loadedAux: () => persistence.loadedAux,
    rdb: persistenceRdb,
    endOfTurn: () => server.requestBeforeSleep(),
  };
  const repl = new Replication(host);
  // Dumps carry repl-id/repl-offset/repl-stream-db while there is a history to continue (rdbSaveInfo).
  persistence.replicationAux = () => {
    const info = repl.rdbSaveInfo();
    return info === null
      ? {}
      : { replId: info.replId, replOffset: info.replOffset, replStreamDb: info.replStreamDb };
  };
  server.usedMemory.replicationBacklog = () => repl.backlog?.histlen ?? 0;
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
 * The propagation sink that feeds the replication stream, noting for WAIT the offset right after the
 * executing client's write (Redis's c->woff).
 */
export function replicationSink(server: Server, repl: Replication): PropagationSink {
  return {
    get active() {
      return repl.hasStream();
    },
    feed: (ops: readonly PropagatedOp[]) => {
      const before = repl.masterReplOffset;
      repl.feed(ops);
      const c = server.currentClient;
      if (c !== null && repl.masterReplOffset !== before) c.woff = repl.masterReplOffset;
    },
  };
}

/** The persistence layer's point-in-time snapshot and streaming loader: a full sync's payload. */
const persistenceRdb: RdbCodec = {
  snapshot: (keyspace, aux) => snapshotRdb(keyspace, aux),
  load: (source, keyspace) => loadRdb(source, keyspace),
};

/** The client that applies our master's stream; replies are dropped (ClientFlag.MASTER). */
function createMasterClient(server: Server, dbId: number): MasterClientHandle {
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
