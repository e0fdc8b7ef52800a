import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "pino";
import type { ServerConfig } from "../config/server-config.js";
import type { Keyspace } from "../store/keyspace.js";

/**
 * What the replication layer needs from the server, as small interfaces the server side implements:
 * replication never imports the server (dependencies point down), the server hands these in.
 */

/** The replication aux fields an RDB carries (repl-id, repl-offset, repl-stream-db). */
export interface ReplAuxFields {
  replId: string;
  replOffset: number;
  replStreamDb: number;
}

/** The RDB codec the persistence layer provides: a point-in-time snapshot and a loader. */
export interface RdbCodec {
  /** Streams a point-in-time RDB of the keyspace, as of the moment it is called. */
  snapshot(keyspace: Keyspace, aux: ReplAuxFields): AsyncGenerator<Buffer>;
  /** Loads an RDB into the (already emptied) keyspace. */
  load(
    source: Buffer | AsyncIterable<Buffer>,
    keyspace: Keyspace,
  ): Promise<{ aux: Map<string, string>; keys: number }>;
}

/** The client that applies our master's stream: replies are discarded, writes always allowed. */
export interface MasterClientHandle {
  /** Runs one command through the normal dispatcher. */
  execute(argv: string[]): void;
  /** The db the stream has SELECTed (saved as repl-stream-db in RDBs made for sub-replicas). */
  readonly dbId: number;
  /** Drops accumulated replies (called once per batch of commands). */
  discardReplies(): void;
  close(): void;
}

/** A connected replica's client, as the master side sees it. */
export interface ReplicaClientHandle {
  readonly id: number;
  readonly socket: Socket;
  /** The peer's address as "ip:port". */
  readonly addr: string;
  /** Closes the client (the server unlinks it; replication learns it through `onClose`). */
  close(): void;
}

/** A client waiting in WAIT or WAITOFFSET. */
export interface BlockedWaiter {
  /** Writes the integer reply and unblocks the client. */
  resolve(n: number): void;
}

export interface ReplicationHost {
  readonly keyspace: Keyspace;
  readonly config: ServerConfig;
  readonly log: Logger;
  /** The port we listen on (REPLCONF listening-port). */
  listeningPort(): number;
  /**
   * TLS options for the link to the master (`tls-replication yes`), or null to connect over plain TCP.
   * Read at each connection attempt, so a CONFIG SET applies from the next one.
   */
  masterTlsOptions?(): ConnectionOptions | null;
  /** server.loading: commands without the LOADING flag answer -LOADING. */
  setLoading(on: boolean): void;
  /** Empties every database before a full sync (breaking WATCHes as FLUSHALL does). */
  emptyData(): void;
  /** Creates the client that applies the master's stream, with `dbId` selected. */
  createMasterClient(dbId: number): MasterClientHandle;
  /** Closes every blocked client waiting on data that could change role (REPLICAOF). */
  disconnectBlockedClients?(): void;
  /** The aux fields of the RDB loaded at start-up (repl-id, repl-offset, repl-stream-db), if any. */
  loadedAux?(): Map<string, string>;
  /** The RDB codec, once persistence provides it (null: full sync unavailable). */
  rdb: RdbCodec | null;
  /**
   * Asks for the end of this event-loop turn, where the server calls `flushReplicaOutput` before it writes
   * any client's reply (its beforeSleep).
   */
  endOfTurn(): void;
}
