import type { Database } from "../store/database.js";
import type { Keyspace } from "../store/keyspace.js";

/**
 * The keyspace has one `writeHook` and one `flushHook` slot; several snapshots can run at once (a BGSAVE
 * and a replica's full sync, or two full syncs). This multiplexes them: listeners register here and the
 * slots are set to a dispatcher while any listener exists, and back to null (the hot path's fast case)
 * when the last one leaves.
 */

export interface KeyspaceListener {
  beforeWrite(db: Database, key: string): void;
  beforeFlush(db: Database): void;
}

const listenersOf = new WeakMap<Keyspace, KeyspaceListener[]>();

export function addKeyspaceListener(keyspace: Keyspace, l: KeyspaceListener): void {
  let list = listenersOf.get(keyspace);
  if (list === undefined) {
    list = [];
    listenersOf.set(keyspace, list);
  }
  list.push(l);
  install(keyspace, list);
}

export function removeKeyspaceListener(keyspace: Keyspace, l: KeyspaceListener): void {
  const list = listenersOf.get(keyspace);
  if (list === undefined) return;
  const i = list.indexOf(l);
  if (i >= 0) list.splice(i, 1);
  install(keyspace, list);
}

/** Listeners currently attached (INFO and tests). */
export function keyspaceListenerCount(keyspace: Keyspace): number {
  return listenersOf.get(keyspace)?.length ?? 0;
}

function install(keyspace: Keyspace, list: KeyspaceListener[]): void {
  if (list.length === 0) {
    keyspace.writeHook = null;
    keyspace.flushHook = null;
  } else if (list.length === 1) {
    const only = list[0];
    keyspace.writeHook = (db, key) => only.beforeWrite(db, key);
    keyspace.flushHook = (db) => only.beforeFlush(db);
  } else {
    const snapshot = list.slice();
    keyspace.writeHook = (db, key) => {
      for (const l of snapshot) l.beforeWrite(db, key);
    };
    keyspace.flushHook = (db) => {
      for (const l of snapshot) l.beforeFlush(db);
    };
  }
}
