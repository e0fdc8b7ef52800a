import { AccessClock } from "./access-clock.js";
import { Database } from "./database.js";

/**
 * All databases plus the hooks the layers above attach: the server propagates expirations, snapshots
 * copy keys before they change. The store itself knows nothing of sockets, RESP or replication.
 */
/** What the RDB layer needs from the function libraries. */
export interface KeyspaceFunctions {
  /** The code of every library ("#!lua name=..." included), for a snapshot. */
  libraryCodes(): string[];
  /** A load starts: the libraries are replaced by the ones the file holds. */
  beginLoad(): void;
  /** One library from a file; throws an Error with Redis's text when it cannot be created. */
  loadLibrary(code: string): void;
}

export class Keyspace {
  /** The access clock every database stamps keys with (LRU/LFU, access-clock.ts). */
  readonly clock = new AccessClock();
  readonly dbs: Database[];

  /** True on a replica: expired keys are hidden from readers but deleted only by the master's DEL. */
  isReplica = false;
  /** True while the replication stream from our master is being applied (it sees expired keys). */
  applyingMasterStream = false;

  /** Called before any key changes (set, delete, expire, in-place update); null when nobody listens. */
  writeHook: ((db: Database, key: string) => void) | null = null;
  /** Called before a whole database is replaced (FLUSHDB, FLUSHALL, SWAPDB). */
  flushHook: ((db: Database) => void) | null = null;
  /**
   * Function libraries (FUNCTION LOAD) live beside the data and persist with it (RDB_OPCODE_FUNCTION2):
   * the scripting engine installs this so snapshots save them and loads restore them.
   */
  functions: KeyspaceFunctions | null = null;
  /** Called after a master deleted a key because its TTL passed (lazily or by the active cycle). */
  onExpired: (db: Database, key: string) => void = () => {};

  constructor(databases = 16) {
    this.dbs = [];
    for (let i = 0; i < databases; i++) this.dbs.push(new Database(i, this));
  }

  /** Estimated bytes of the whole dataset (memory-model.ts). */
  get bytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.bytes;
    return n;
  }

  /** Total keys in all databases. */
  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }
}
