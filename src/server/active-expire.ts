import type { Keyspace } from "../store/keyspace.js";

/**
 * The active expire cycle (Redis's activeExpireCycle): each cron tick walks the expires dictionaries
 * from where the last tick stopped, deleting keys whose time has passed, within a small time budget so
 * the event loop is never held for more than a few milliseconds. Lazy expiry on access does the rest.
 * One per server: the cursor (Redis's static current_db and per-db cursors) belongs to its keyspace.
 */

const BUDGET_MS = 2;
const CHECK_EVERY = 64;

export class ActiveExpire {
  /** Per-db iterators survive between ticks (JS Map iterators stay valid while the map changes). */
  private readonly cursors = new WeakMap<Map<string, number>, Iterator<[string, number]>>();
  /** The db the next cycle starts with. */
  private nextDb = 0;

  constructor(private readonly keyspace: Keyspace) {}

  cycle(now: number): void {
    const start = performance.now();
    const dbs = this.keyspace.dbs;
    const cursors = this.cursors;
    for (let visited = 0; visited < dbs.length; visited++) {
      const db = dbs[this.nextDb];
      this.nextDb = (this.nextDb + 1) % dbs.length;
      if (db.expires.size === 0) continue;
      let it = cursors.get(db.expires);
      if (it === undefined) {
        it = db.expires.entries();
        cursors.set(db.expires, it);
      }
      let n = 0;
      for (;;) {
        const next = it.next();
        if (next.done) {
          cursors.delete(db.expires);
          break;
        }
        const [key, when] = next.value;
        if (when <= now) db.expireIfNeeded(key);
        if (++n % CHECK_EVERY === 0 && performance.now() - start > BUDGET_MS) return;
      }
    }
  }
}
