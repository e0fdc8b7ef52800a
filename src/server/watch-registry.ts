import type { Database } from "../store/database.js";
import { type Client, ClientFlag } from "./client.js";

/**
 * WATCHed keys (Redis's db->watched_keys): key → clients watching it, per db. Touching a key marks every
 * watcher DIRTY_CAS so its EXEC fails.
 */
export class WatchRegistry {
  private readonly byDb = new Map<Database, Map<string, Set<Client>>>();
  private count = 0;

  /** Number of watched (db, key) pairs; zero makes `touch` free. */
  get size(): number {
    return this.count;
  }

  watch(c: Client, db: Database, key: string): void {
    let keys = this.byDb.get(db);
    if (!keys) {
      keys = new Map();
      this.byDb.set(db, keys);
    }
    let clients = keys.get(key);
    if (!clients) {
      clients = new Set();
      keys.set(key, clients);
      this.count++;
    }
    if (clients.has(c)) return;
    clients.add(c);
    const when = db.getExpire(key);
    c.watched.push({ db, key, expiredAtWatch: when !== undefined && when <= Date.now() });
  }

  unwatchAll(c: Client): void {
    for (const { db, key } of c.watched) {
      const keys = this.byDb.get(db);
      const clients = keys?.get(key);
      if (!keys || !clients) continue;
      clients.delete(c);
      if (clients.size === 0) {
        keys.delete(key);
        this.count--;
      }
    }
    c.watched = [];
  }

  /**
   * Marks the watchers of a key. When the key is only being deleted because its TTL passed, watchers that
   * saw it already expired at WATCH time are not affected (for them it was absent all along), as Redis 7.
   */
  touch(db: Database, key: string, byExpiry = false): void {
    const clients = this.byDb.get(db)?.get(key);
    if (!clients) return;
    for (const c of clients) {
      if (byExpiry && c.watched.some((w) => w.db === db && w.key === key && w.expiredAtWatch)) continue;
      c.flags |= ClientFlag.DIRTY_CAS;
    }
  }

  /**
   * Before a db is emptied or swapped: watchers of keys for which `affected(key)` holds are touched
   * (Redis touches a watched key on FLUSHDB only if it existed, on SWAPDB if it exists on either side).
   */
  touchDb(db: Database, affected: (key: string) => boolean): void {
    const keys = this.byDb.get(db);
    if (!keys) return;
    for (const [key, clients] of keys) {
      if (affected(key)) for (const c of clients) c.flags |= ClientFlag.DIRTY_CAS;
    }
  }
}
