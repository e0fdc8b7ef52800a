import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { datasetDump, infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";

/**
 * Wire compatibility both ways with Debian's redis-server 7: a real redis-server replicates from
 * `tandem server` (full sync of every type, then the stream), and `tandem server` replicates from a real
 * redis-server.
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
    const replica = await startTandem({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
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
