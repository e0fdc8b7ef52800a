import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_EXECABORT } from "../shared-replies.js";

/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis's semantics: errors while queuing abort the EXEC
 * (EXECABORT), runtime errors inside EXEC don't stop the rest, and a watched key touched by anyone — a
 * write, an expiry, FLUSHDB/FLUSHALL, or its TTL passing — makes EXEC answer a null array.
 */

export function discardTransaction(c: Client): void {
  c.mstate = [];
  c.flags &= ~(ClientFlag.MULTI | ClientFlag.DIRTY_CAS | ClientFlag.DIRTY_EXEC);
  c.server.watches.unwatchAll(c);
}

function multiCommand(c: Client): void {
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  c.flags |= ClientFlag.MULTI;
  c.reply.ok();
}

function discardCommand(c: Client): void {
  if (!(c.flags & ClientFlag.MULTI)) {
    c.reply.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(c);
  c.reply.ok();
}

/** True when a watched key's TTL passed since it was watched, though nobody touched it yet. */
function watchedKeyExpired(c: Client): boolean {
  const now = Date.now();
  for (const w of c.watched) {
    if (w.expiredAtWatch) continue;
    const when = w.db.getExpire(w.key);
    if (when !== undefined && when <= now) return true;
  }
  return false;
}

function execCommand(c: Client): void {
  if (!(c.flags & ClientFlag.MULTI)) {
    c.reply.error("ERR EXEC without MULTI");
    return;
  }
  if (c.flags & ClientFlag.DIRTY_EXEC) {
    discardTransaction(c);
    c.reply.error(ERR_EXECABORT);
    return;
  }
  if (c.flags & ClientFlag.DIRTY_CAS || watchedKeyExpired(c)) {
    discardTransaction(c);
    c.reply.nullArray();
    return;
  }
  const queued = c.mstate;
  c.mstate = [];
  // Watches end before the commands run: the transaction's own writes must not count as conflicts.
  c.server.watches.unwatchAll(c);
  c.reply.arrayHeader(queued.length);
  const server = c.server;
  // One propagation unit: replicas and the AOF get MULTI ... EXEC around the transaction's writes.
  server.propagator.begin();
  try {
    // MULTI stays set while the queued commands run, so blocking commands don't block (as Redis).
    for (const q of queued) server.call(c, q.cmd, q.argv);
  } finally {
    server.propagator.end();
    c.flags &= ~(ClientFlag.MULTI | ClientFlag.DIRTY_CAS | ClientFlag.DIRTY_EXEC);
  }
}

function watchCommand(c: Client, argv: string[]): void {
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (let i = 1; i < argv.length; i++) c.server.watches.watch(c, c.db, argv[i]);
  c.reply.ok();
}

function unwatchCommand(c: Client): void {
  c.server.watches.unwatchAll(c);
  c.flags &= ~ClientFlag.DIRTY_CAS;
  c.reply.ok();
}

export const transactionCommands: CommandDef[] = [
  { name: "multi", handler: multiCommand },
  { name: "exec", handler: execCommand },
  { name: "discard", handler: discardCommand },
  { name: "watch", handler: watchCommand },
  { name: "unwatch", handler: unwatchCommand },
];
