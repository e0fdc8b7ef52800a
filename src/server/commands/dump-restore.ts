import { dumpPayload, verifyDumpPayload } from "../../persistence/dump-payload.js";
import { loadDumpValue } from "../../persistence/rdb-loader.js";
import { eqi, getExactLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_SYNTAX } from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector } from "./helpers.js";

/**
 * DUMP and RESTORE (cluster.c in Redis 7.0), with Redis's payload (dump-payload.ts): what one dumps the
 * other restores, in both directions between Tandem and redis-server.
 *
 * MIGRATE is not implemented (it stays an unknown command): it needs a client connection to another
 * server from inside a command; DUMP + RESTORE from a client does the same move.
 */

const ERR_BUSYKEY = "BUSYKEY Target key name already exists.";
const ERR_BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
const ERR_BAD_DATA = "ERR Bad data format";

function dumpCommand(c: Client, argv: string[]): void {
  const v = lookupRead(c, argv[1]);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulkBuffer(dumpPayload(v, c.server.config.getBool("rdbcompression")));
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. */
function restoreCommand(c: Client, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1n;
  let freq = -1n;
  for (let j = 4; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (eqi(argv[j], "replace")) {
      replace = true;
    } else if (eqi(argv[j], "absttl")) {
      absttl = true;
    } else if (eqi(argv[j], "idletime") && additional >= 1 && freq === -1n) {
      const n = getExactLongLongOrReply(c, argv[j + 1]);
      if (n === null) return;
      if (n < 0) {
        c.reply.error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
      idle = BigInt(n);
      j++;
    } else if (eqi(argv[j], "freq") && additional >= 1 && idle === -1n) {
      const n = getExactLongLongOrReply(c, argv[j + 1]);
      if (n === null) return;
      if (n < 0 || n > 255) {
        c.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
      freq = BigInt(n);
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const key = argv[1];
  const db = c.db;
  if (!replace && db.lookupKeyWrite(key) !== undefined) {
    c.reply.error(ERR_BUSYKEY);
    return;
  }
  const t = getExactLongLongOrReply(c, argv[2]);
  if (t === null) return;
  let ttl = BigInt(t);
  if (ttl < 0n) {
    c.reply.error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  const payload = Buffer.from(argv[3], "latin1");
  if (verifyDumpPayload(payload) === null) {
    c.reply.error(ERR_BAD_PAYLOAD);
    return;
  }
  // Like Redis, the value is read from the whole payload: a short value may run into the footer.
  const value = loadDumpValue(payload, key, c.server.keyspace);
  if (value === null) {
    c.reply.error(ERR_BAD_DATA);
    return;
  }
  const deleted = replace && db.delete(key);
  if (ttl !== 0n && !absttl) ttl += BigInt(Date.now());
  if (ttl !== 0n && ttl <= BigInt(Date.now()) && !c.server.loading && !c.server.keyspace.isReplica) {
    // Already expired: nothing is created; a replaced key is gone, which replicas learn as a DEL.
    if (deleted) {
      rewriteCommandVector(c, ["DEL", key]);
      modified(c, key, Notify.GENERIC, "del");
    }
    c.reply.ok();
    return;
  }
  db.setKey(key, value);
  if (ttl !== 0n) {
    db.setExpire(key, Number(ttl));
    if (!absttl) {
      // Propagated with the absolute time, so replicas and the AOF expire it at the same instant.
      const prop = argv.slice();
      prop[2] = String(ttl);
      prop.push("ABSTTL");
      rewriteCommandVector(c, prop);
    }
  }
  const clock = c.server.keyspace.clock.restored(Number(freq), Number(idle));
  if (clock !== null) db.lru.set(key, clock);
  modified(c, key, Notify.GENERIC, "restore");
  c.reply.ok();
}

export const dumpRestoreCommands: CommandDef[] = [
  { name: "dump", handler: dumpCommand },
  { name: "restore", handler: restoreCommand },
];
