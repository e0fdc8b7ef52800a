import type { Database } from "../store/database.js";
import { type BlockKind, type Client, ClientFlag } from "./client.js";
import type { Server } from "./server.js";

/**
 * Blocking on keys (Redis's blocked.c for BLOCKED_LIST, BLOCKED_ZSET and BLOCKED_STREAM): BLPOP, BRPOP,
 * BLMOVE, BRPOPLPUSH, BLMPOP here; BZPOPMIN, BZPOPMAX, BZMPOP and XREAD/XREADGROUP BLOCK reuse it.
 *
 * How it works, as in Redis 7.0:
 * - a blocking command that finds nothing to pop calls `blockForKeys`: the client is queued (FIFO) on every
 *   key it waits for, in its current db, and stops reading commands (Client.blockOn);
 * - every write that may put elements under a key calls `signalKeyAsReady(db, key)`: Server.signalModifiedKey
 *   does it for every modified key (so RENAME, MOVE, COPY, SORT ... STORE wake waiters too, as Redis's dbAdd
 *   does), and pushes call it directly. It costs one Map lookup when nobody waits on that key, and nothing
 *   when nobody is blocked at all; serving re-checks the type, so a signal for a string key is harmless;
 * - after each top-level command (so after EXEC as a whole, and after each command applied from the master's
 *   replication stream) the dispatcher calls `handleClientsBlockedOnKeys()`, which serves the clients waiting
 *   on each ready key in the order they blocked, for as long as the key still holds a value. A setImmediate
 *   fallback covers writers that run outside the dispatcher.
 * - a served client gets its reply, is unblocked and resumes reading its pipelined commands. What it did is
 *   propagated as the non-blocking equivalent (BLPOP → LPOP, BLMOVE → LMOVE, BZPOPMIN → ZPOPMIN, ...), each
 *   served client as its own unit, after the command that woke it.
 * - on timeout (or CLIENT UNBLOCK TIMEOUT, which runs the same onTimeout) the client gets a null array (`*-1`,
 *   or `_` in RESP3), Redis's reply for every key-blocking command. On disconnect or CLIENT UNBLOCK ERROR
 *   (whose command writes the -UNBLOCKED error) it is simply forgotten.
 *
 * API for command families:
 *
 *   getTimeoutOrReply(c, arg, UNIT_SECONDS) (src/server/arguments.ts): number | null
 *       A timeout argument in seconds → an absolute deadline in ms, 0 meaning "forever"; null after replying
 *       Redis's error. Call it before looking at the keys: Redis checks it first.
 *   blockingDenied(c): boolean
 *       True inside MULTI/EXEC, where Redis never blocks: the command must answer at once as if it timed out
 *       (BLPOP/BLMPOP/BZPOP*: null array; BLMOVE/BRPOPLPUSH: null bulk — check redis-server for yours).
 *       EXEC keeps ClientFlag.MULTI set while it runs the queue, as Redis keeps CLIENT_MULTI.
 *   server.blocking.blockForKeys(c, kind, keys, deadline, serve, data)
 *       Blocks `c` on `keys` (duplicates ignored) of c.db until `deadline` (absolute ms, 0 = none).
 *       `serve(c, key, data)` runs when `key` was signalled ready and still exists: it must look the key up
 *       (lookupKeyWrite), check the type, pop, call modified(), delete the key if it became empty, propagate
 *       the non-blocking equivalent with `c.server.propagator.add(c.db.id, argv)`, signal keys it pushed to,
 *       write the reply, and return true. Returning false leaves the client blocked (the key holds another
 *       type, or nothing it can use). `data` is handed back untouched (BLMOVE's destination and ends, a count).
 *       Waiters of kind "stream" are also served when the key is gone or holds another type: XREADGROUP
 *       ends then with -UNBLOCKED, as Redis's unblockDeletedStreamReadgroupClients (XREAD keeps waiting).
 *   server.blocking.signalKeyAsReady(db, key)
 *       Called by writers, see above (modified() → signalModifiedKey already covers the usual write path).
 *   server.blocking.signalBlockedKeys(db)
 *       Every key of `db` someone waits on is ready (FLUSHDB, SWAPDB: Redis's scanDatabaseForReadyKeys and
 *       scanDatabaseForDeletedStreams).
 *   server.blocking.handleClientsBlockedOnKeys() / hasReadyKeys
 *       For the dispatcher.
 */

/** Serves one blocked client from a ready key; true when it replied (the client is then unblocked). */
export type ServeBlockedClient = (c: Client, key: string, data: unknown) => boolean;

interface Waiter {
  readonly client: Client;
  /** Served even when the key no longer exists (stream waiters, see the module comment). */
  readonly servedWhenMissing: boolean;
  readonly db: Database;
  readonly keys: string[];
  readonly serve: ServeBlockedClient;
  readonly data: unknown;
  /** False once served, timed out or cancelled: stale entries are skipped. */
  active: boolean;
}

interface ReadyKey {
  db: Database;
  key: string;
}

/** True where Redis never blocks (inside MULTI/EXEC): blocking commands answer at once instead. */
export function blockingDenied(c: Client): boolean {
  return (c.flags & (ClientFlag.MULTI | ClientFlag.DENY_BLOCKING)) !== 0;
}

// ─── the registry of blocked clients ──────────────────────────────────────────────────────────────────────

export class Blocking {
  /** db → key → waiters in the order they blocked (Redis's db->blocking_keys). */
  private readonly byDb = new Map<Database, Map<string, Waiter[]>>();
  /** Keys signalled since the last pass (Redis's server.ready_keys), deduplicated through `readySet`. */
  private ready: ReadyKey[] = [];
  private readonly readySet = new Set<string>();
  private blockedClients = 0;
  private fallbackScheduled = false;
  private handling = false;

  constructor(private readonly server: Server) {}

  /** Clients blocked on keys right now (INFO's blocked_clients counts these among others). */
  get blockedCount(): number {
    return this.blockedClients;
  }

  get hasReadyKeys(): boolean {
    return this.ready.length !== 0;
  }

  /** Blocks `c` on `keys` of its current db; see the module comment. */
  blockForKeys(
    c: Client,
    kind: BlockKind,
    keys: readonly string[],
    deadline: number,
    serve: ServeBlockedClient,
    data: unknown = null,
  ): void {
    const db = c.db;
    let perKey = this.byDb.get(db);
    if (perKey === undefined) {
      perKey = new Map();
      this.byDb.set(db, perKey);
    }
    const unique: string[] = [];
    for (const k of keys) if (!unique.includes(k)) unique.push(k);
    const w: Waiter = {
      client: c,
      servedWhenMissing: kind === "stream",
      db,
      keys: unique,
      serve,
      data,
      active: true,
    };
    for (const k of unique) {
      const list = perKey.get(k);
      if (list === undefined) perKey.set(k, [w]);
      else list.push(w);
    }
    this.blockedClients++;
    c.blockOn({
      kind,
      deadline,
      onTimeout: () => {
        this.forget(w);
        c.reply.nullArray();
      },
      // Disconnect, or CLIENT UNBLOCK ERROR (which writes the -UNBLOCKED error and unblocks by itself).
      onCancel: () => this.forget(w),
    });
  }

  /** A key may now have something for its waiters (Redis's signalKeyAsReady). */
  signalKeyAsReady(db: Database, key: string): void {
    if (this.blockedClients === 0) return;
    const perKey = this.byDb.get(db);
    if (perKey === undefined || !perKey.has(key)) return;
    const id = db.id + "\0" + key;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
    if (!this.fallbackScheduled) {
      this.fallbackScheduled = true;
      setImmediate(() => {
        this.fallbackScheduled = false;
        if (this.ready.length !== 0) this.handleClientsBlockedOnKeys();
      });
    }
  }

  /** Marks every key of `db` that someone waits on as ready (after FLUSHDB, SWAPDB). */
  signalBlockedKeys(db: Database): void {
    const perKey = this.byDb.get(db);
    if (perKey === undefined) return;
    for (const key of [...perKey.keys()]) this.signalKeyAsReady(db, key);
  }

  /**
   * Serves clients blocked on the keys signalled ready, FIFO per key, until each key is empty or has no
   * waiter left. Keys that become ready meanwhile (BLMOVE pushing to a destination) are served in the same
   * pass, as Redis loops until server.ready_keys stays empty.
   */
  handleClientsBlockedOnKeys(): void {
    if (this.handling) return;
    this.handling = true;
    try {
      while (this.ready.length !== 0) {
        const batch = this.ready;
        this.ready = [];
        this.readySet.clear();
        for (const { db, key } of batch) this.serveKey(db, key);
      }
    } finally {
      this.handling = false;
    }
  }

  private serveKey(db: Database, key: string): void {
    const waiters = this.byDb.get(db)?.get(key);
    if (waiters === undefined) return;
    // Only the clients blocked now: one that blocks while we serve waits for the next signal, as in Redis.
    const snapshot = waiters.slice();
    const propagator = this.server.propagator;
    for (const w of snapshot) {
      if (!w.active) continue;
      if (!w.servedWhenMissing && db.lookupKeyRead(key) === undefined) continue;
      const c = w.client;
      propagator.begin();
      let served = false;
      try {
        served = w.serve(c, key, w.data);
      } finally {
        propagator.end();
      }
      if (served) {
        this.forget(w);
        c.unblock();
      }
    }
  }

  /** Removes a waiter from every key it waits on. */
  private forget(w: Waiter): void {
    if (!w.active) return;
    w.active = false;
    this.blockedClients--;
    const perKey = this.byDb.get(w.db);
    if (perKey === undefined) return;
    for (const k of w.keys) {
      const list = perKey.get(k);
      if (list === undefined) continue;
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) perKey.delete(k);
    }
  }
}
