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
    c.watched.push({ db, key });
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

  touch(db: Database, key: string): void {
    const clients = this.byDb.get(db)?.get(key);
    if (clients) for (const c of clients) c.flags |= ClientFlag.DIRTY_CAS;
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
