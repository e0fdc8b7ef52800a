import type { Keyspace } from "../store/keyspace.js";

/**
 * The active expire cycle (Redis's activeExpireCycle): each cron tick looks at the expires dictionaries in
 * batches of KEYS_PER_LOOP keys from where the last tick stopped, deleting keys whose time has passed. A db
 * gets another batch only while more than ACCEPTABLE_STALE percent of the last one had expired, so a db
 * whose keys are not expiring costs one small batch per tick (as Redis's sampling), and a db full of
 * expired keys is swept for as long as the budget lasts. Lazy expiry on access does the rest. One per
 * server: the cursor (Redis's static current_db and per-db cursors) belongs to its keyspace.
 */

/** Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP (active-expire-effort 1). */
const KEYS_PER_LOOP = 20;
/** Redis's ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE: percent of expired keys that ends a db's turn. */
const ACCEPTABLE_STALE = 10;
/** Time budget of one cycle (Redis: 25% of a cron period, at most; a few ms keep our loop responsive). */
const BUDGET_MS = 2;

export class ActiveExpire {
  /** Per-db iterators survive between ticks (JS Map iterators stay valid while the map changes). */
  private readonly cursors = new WeakMap<Map<string, number>, Iterator<string>>();
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
      const expires = db.expires;
      if (expires.size === 0) continue;
      let it = cursors.get(expires);
      if (it === undefined) {
        it = expires.keys();
        cursors.set(expires, it);
      }
      for (;;) {
        let sampled = 0;
        let expired = 0;
        while (sampled < KEYS_PER_LOOP) {
          const next = it.next();
          if (next.done) {
            // A full pass: start over next time.
            it = expires.keys();
            cursors.set(expires, it);
            break;
          }
          sampled++;
          const key = next.value;
          const when = expires.get(key);
          if (when !== undefined && when <= now && db.expireIfNeeded(key)) expired++;
        }
        if (performance.now() - start > BUDGET_MS) return;
        if (sampled === 0 || expired * 100 <= sampled * ACCEPTABLE_STALE) break;
      }
    }
  }
}
