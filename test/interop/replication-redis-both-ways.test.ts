import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import {
  datasetDump,
  infoField,
  startReplicaOf,
  waitLinkUp,
  waitOffsetsEqual,
} from "../helpers/replication-helpers.js";

/**
 * Wire compatibility both ways with Debian's redis-server 7: a real redis-server replicates from
 * `tandem server` (full sync of every type, then the stream), and `tandem server` replicates from a real
 * redis-server. Every type in its compact and its large encoding, TTLs, several dbs, then each family's
 * writes (including those propagated in another form); datasets compared key by key with their TTLs.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];

/** Writes one of each type, several dbs, TTLs; then `more` writes after the sync. */
async function writeAllTypes(c: RawClient, tag: string): Promise<void> {
  await c.call("SET", `${tag}:str`, "hello");
  await c.call("SET", `${tag}:int`, "12345");
  await c.call("SET", `${tag}:ttl`, "v", "EX", "1000");
  await c.call("RPUSH", `${tag}:list`, "a", "b", "c", "1", "2");
  await c.call("HSET", `${tag}:hash`, "f1", "v1", "f2", "2");
  await c.call("SADD", `${tag}:set`, "x", "y", "3");
  await c.call("SADD", `${tag}:intset`, "1", "2", "3");
  await c.call("ZADD", `${tag}:zset`, "1", "one", "2.5", "two");
  await c.call("SET", `${tag}:big`, "z".repeat(100_000));
  // Past the compact-encoding thresholds: quicklist of several nodes, hashtable hash and set, skiplist zset.
  const many = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
  await c.call("RPUSH", `${tag}:biglist`, ...many(3000, (i) => [`element-${i}-${"e".repeat(i % 50)}`]));
  await c.call("HSET", `${tag}:bighash`, ...many(600, (i) => [`field${i}`, `value${i}`]));
  await c.call("HSET", `${tag}:longhash`, "f", "v".repeat(200));
  await c.call("SADD", `${tag}:bigset`, ...many(700, (i) => [`member${i}`]));
  await c.call("SADD", `${tag}:bigintset`, ...many(600, (i) => [String(i * 7 - 1000)]));
  await c.call("ZADD", `${tag}:bigzset`, ...many(300, (i) => [String(i / 3), `m${i}`]));
  await c.call("ZADD", `${tag}:infzset`, "-inf", "low", "+inf", "high", "0", "zero");
  await c.call("HSET", `${tag}:ttlhash`, "f", "v");
  await c.call("PEXPIRE", `${tag}:ttlhash`, "5000000");
  await c.call("SELECT", 2);
  await c.call("SET", `${tag}:db2`, "in-db2");
  await c.call("SELECT", 0);
}

async function writeStream(c: RawClient, tag: string): Promise<void> {
  await c.call("INCR", `${tag}:int`);
  await c.call("LPUSH", `${tag}:list`, "head");
  await c.call("HDEL", `${tag}:hash`, "f1");
  await c.call("SREM", `${tag}:set`, "x");
  await c.call("ZINCRBY", `${tag}:zset`, "10", "one");
  await c.call("SET", `${tag}:px`, "v", "PX", "900000");
  await c.call("MULTI");
  await c.call("SET", `${tag}:tx1`, "1");
  await c.call("SET", `${tag}:tx2`, "2");
  await c.call("EXEC");
  await c.call("SELECT", 3);
  await c.call("SET", `${tag}:db3`, "in-db3");
  await c.call("SELECT", 0);
  await c.call("DEL", `${tag}:str`);
  // Each family's writes, including the ones propagated in another form (SPOP as SREM, EXPIRE as
  // PEXPIREAT, INCRBYFLOAT/HINCRBYFLOAT as SET/HSET, blocking pops as their plain pop).
  await c.call("LMOVE", `${tag}:list`, `${tag}:list2`, "LEFT", "RIGHT");
  await c.call("LTRIM", `${tag}:biglist`, "10", "-10");
  await c.call("LSET", `${tag}:biglist`, "0", "replaced");
  await c.call("LINSERT", `${tag}:list`, "BEFORE", "b", "inserted");
  await c.call("BLPOP", `${tag}:list`, "1");
  await c.call("HINCRBY", `${tag}:bighash`, "counter", "5");
  await c.call("HINCRBYFLOAT", `${tag}:hash`, "float", "1.5");
  await c.call("HSETNX", `${tag}:hash`, "f9", "nine");
  await c.call("SPOP", `${tag}:bigset`, "3");
  await c.call("SMOVE", `${tag}:set`, `${tag}:set2`, "y");
  await c.call("SINTERSTORE", `${tag}:inter`, `${tag}:intset`, `${tag}:bigintset`);
  await c.call("SUNIONSTORE", `${tag}:union`, `${tag}:set`, `${tag}:intset`);
  await c.call("ZADD", `${tag}:zset`, "INCR", "3", "two");
  await c.call("ZPOPMIN", `${tag}:bigzset`, "2");
  await c.call("ZREMRANGEBYSCORE", `${tag}:bigzset`, "10", "20");
  await c.call("ZUNIONSTORE", `${tag}:zunion`, "2", `${tag}:zset`, `${tag}:infzset`);
  await c.call("BZPOPMAX", `${tag}:zset`, "1");
  await c.call("INCRBYFLOAT", `${tag}:float`, "2.25");
  await c.call("APPEND", `${tag}:int`, "0");
  await c.call("EXPIRE", `${tag}:list2`, "10000");
  await c.call("PERSIST", `${tag}:ttl`);
  await c.call("RENAME", `${tag}:hash`, `${tag}:hash-renamed`);
  await c.call("COPY", `${tag}:bigset`, `${tag}:bigset-copy`);
  await c.call("MOVE", `${tag}:union`, "2");
  await c.call("GETDEL", `${tag}:tx1`);
}

describe("replication interop with redis-server 7", { skip: NO_REDIS }, () => {
  const procs: ServerProcess[] = [];
  const clients: RawClient[] = [];

  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(procs.map((p) => p.stop()));
  });

  it("a real redis-server replicates from tandem: full sync of every type, then the stream", async () => {
    const master = await startTandem({ args: FAST });
    procs.push(master);
    const m = await master.client();
    clients.push(m);
    await writeAllTypes(m, "t");
    const replica = await startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
    procs.push(replica);
    const r = await replica.client();
    clients.push(r);
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.deepEqual(await datasetDump(r, 4), await datasetDump(m, 4));
    await writeStream(m, "t");
    await waitOffsetsEqual(m, [r]);
    assert.deepEqual(await datasetDump(r, 4), await datasetDump(m, 4));
    // The master sees the redis replica online with its acknowledged offset.
    const line = await infoField(m, "replication", "slave0");
    assert.match(
      line ?? "",
      new RegExp(`^ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+$`),
    );
  });

  it("tandem replicates from a real redis-server: full sync of every type, then the stream", async () => {
    const master = await startRedis({ args: FAST });
    procs.push(master);
    const m = await master.client();
    clients.push(m);
    await writeAllTypes(m, "r");
    const replica = await startReplicaOf(master);
    procs.push(replica);
    const r = await replica.client();
    clients.push(r);
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.deepEqual(await datasetDump(r, 4), await datasetDump(m, 4));
    await writeStream(m, "r");
    await waitOffsetsEqual(m, [r]);
    assert.deepEqual(await datasetDump(r, 4), await datasetDump(m, 4));
    assert.equal(await r.text("SET", "x", "1"), "-READONLY You can't write against a read only replica.\r\n");
    // Redis's WAIT counts our ACKs.
    await m.call("SET", "acked", "1");
    assert.equal(await m.text("WAIT", 1, 5000), ":1\r\n");
  });
});
