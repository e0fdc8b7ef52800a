import type { Keyspace } from "../store/keyspace.js";

/**
 * The active expire cycle (Redis's activeExpireCycle): each cron tick walks the expires dictionaries
 * from where the last tick stopped, deleting keys whose time has passed, within a small time budget so
 * the event loop is never held for more than a few milliseconds. Lazy expiry on access does the rest.
 */

const BUDGET_MS = 2;
const CHECK_EVERY = 64;

/** Per-db iterators survive between ticks (JS Map iterators stay valid while the map changes). */
const cursors = new WeakMap<Map<string, number>, Iterator<[string, number]>>();
let nextDb = 0;

export function activeExpireCycle(keyspace: Keyspace, now: number): void {
  const start = performance.now();
  const dbs = keyspace.dbs;
  for (let visited = 0; visited < dbs.length; visited++) {
    const db = dbs[nextDb];
    nextDb = (nextDb + 1) % dbs.length;
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
