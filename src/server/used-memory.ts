import type { Keyspace } from "../store/keyspace.js";

/**
 * INFO's used_memory and what maxmemory is compared with, as Tandem counts it:
 *
 *   used_memory = used_memory_startup + dataset + replication backlog + AOF buffer
 *
 * - used_memory_startup: the V8 heap in use when the server was created (code, the command table, the
 *   empty keyspace), measured once;
 * - dataset: the running size estimate of every key, value, TTL and per-key access clock
 *   (store/memory-model.ts), kept current on every change, so reading it is O(databases);
 * - the replication backlog's history and the AOF buffer not yet written.
 *
 * Client query and output buffers are not in it (Redis counts them; we would have to walk every client or
 * hook the parser and the reply writer): INFO reports them apart as mem_clients_normal. The V8 heap as the
 * collector sees it, garbage included, is INFO's allocator_allocated. See docs/operations.md.
 */
export class UsedMemory {
  readonly startup: number;
  peak = 0;
  /** Bytes held by the replication backlog (the replication layer installs this). */
  replicationBacklog: () => number = () => 0;
  /** Bytes of AOF buffer waiting to be written (the persistence layer installs this). */
  aofBuffer: () => number = () => 0;

  constructor(private readonly keyspace: Keyspace) {
    this.startup = process.memoryUsage().heapUsed;
  }

  /** used_memory. Also tracks the peak, as Redis samples it in the cron and on INFO. */
  total(): number {
    const n = this.startup + this.keyspace.bytes + this.replicationBacklog() + this.aofBuffer();
    if (n > this.peak) this.peak = n;
    return n;
  }

  /**
   * used_memory_overhead: everything but the keys and values themselves — start-up heap, replication
   * backlog, AOF buffer and the databases' tables (Redis's overhead_total, minus client buffers).
   */
  overhead(): number {
    let n = this.startup + this.replicationBacklog() + this.aofBuffer();
    for (const db of this.keyspace.dbs) if (db.size !== 0) n += db.overheadMain + db.overheadExpires;
    return n;
  }

  /** The part eviction does not count (freeMemoryGetNotCountedMemory): the AOF buffer. */
  notCounted(): number {
    return this.aofBuffer();
  }
}
