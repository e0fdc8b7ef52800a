import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadRdb } from "../../src/persistence/rdb-loader.js";
import { saveRdbSync } from "../../src/persistence/rdb-snapshot.js";
import { RespErrorReply } from "../../src/resp/resp-value.js";
import { Keyspace } from "../../src/store/keyspace.js";
import { MutableString, RedisList, type RedisValue, RedisZSet } from "../../src/store/redis-value.js";
import { dumpKeyspace, populateAllTypes } from "../helpers/keyspace-fixtures.js";
import { NO_REDIS, REDIS_CHECK_RDB, type ServerProcess, startRedis } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * RDB interoperability with Debian's Redis 7.0: redis-check-rdb accepts our dumps, redis-server loads
 * them (with deep payload sanitization) and holds exactly our data, and we load a dump redis-server
 * wrote holding every type in both its compact and its large encodings.
 */

const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v));

/** Asserts that Redis holds exactly the keyspace's data: every key, type, value and TTL. */
async function assertRedisHolds(r: RawClient, ks: Keyspace): Promise<void> {
  for (const db of ks.dbs) {
    await r.call("SELECT", db.id);
    assert.equal(await r.call("DBSIZE"), db.size, `db${db.id} size`);
    for (const [key, stored] of db.dict) {
      const v = stored instanceof MutableString ? stored.toString() : stored;
      const where = `db${db.id} key ${JSON.stringify(key)}`;
      assert.equal(text(await r.call("TYPE", key)), typeNameOf(v), where);
      if (typeof v === "string") assert.equal(text(await r.call("GET", key)), v, where);
      else if (v instanceof RedisList)
        assert.deepEqual(((await r.call("LRANGE", key, 0, -1)) as Buffer[]).map(text), v.toArray(), where);
      else if (v instanceof Map) {
        const flat = ((await r.call("HGETALL", key)) as Buffer[]).map(text);
        const got = new Map<string, string>();
        for (let i = 0; i < flat.length; i += 2) got.set(flat[i], flat[i + 1]);
        assert.deepEqual([...got].sort(), [...v].sort(), where);
      } else if (v instanceof Set) {
        const got = ((await r.call("SMEMBERS", key)) as Buffer[]).map(text).sort();
        assert.deepEqual(got, [...v].sort(), where);
      } else if (v instanceof RedisZSet) {
        const flat = ((await r.call("ZRANGE", key, 0, -1, "WITHSCORES")) as Buffer[]).map(text);
        const want = [...v.entries()];
        assert.equal(flat.length, want.length * 2, where);
        for (let i = 0; i < want.length; i++) {
          assert.equal(flat[2 * i], want[i][0], where);
          assert.equal(Number(flat[2 * i + 1].replace(/^(-?)inf$/, "$1Infinity")), want[i][1], where);
        }
      }
      const exp = db.getExpire(key);
      assert.equal(await r.call("PEXPIRETIME", key), exp ?? -1, `${where} ttl`);
    }
  }
}

function typeNameOf(v: RedisValue): string {
  if (typeof v === "string") return "string";
  if (v instanceof RedisList) return "list";
  if (v instanceof Map) return "hash";
  if (v instanceof Set) return "set";
  return "zset";
}

describe("RDB interop with Redis 7.0", { skip: NO_REDIS }, () => {
  it("redis-check-rdb accepts our dumps (compressed or not) and redis-server loads them exactly", async () => {
    const ks = new Keyspace(16);
    populateAllTypes(ks, 11);
    for (const compression of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), "tandem-rdb-"));
      writeFileSync(join(dir, "dump.rdb"), Buffer.concat(saveRdbSync(ks, { compression })));
      const check = spawnSync(REDIS_CHECK_RDB ?? "redis-check-rdb", [join(dir, "dump.rdb")], {
        encoding: "utf8",
      });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /RDB looks OK/);
      const redis = await startRedis({ dir, args: ["--sanitize-dump-payload", "yes"] });
      servers.push(redis);
      const r = await redis.client();
      await assertRedisHolds(r, ks);
      r.close();
      await redis.stop();
    }
  });

  it("loads a dump redis-server wrote with every type in compact and large encodings", async () => {
    const redis = await startRedis({});
    servers.push(redis);
    const r = await redis.client();
    const big = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const cmds: (string | number)[][] = [
      ["SET", "s:int", "12345"],
      ["SET", "s:neg", "-7"],
      ["SET", "s:short", "hello"],
      ["SET", "s:long", "abcdefghij".repeat(50)],
      ["SET", "s:bin", "\x00\x01\xfe\xff\r\n"],
      ["SET", "s:ttl", "v", "PX", "500000"],
      ["RPUSH", "l:small", "a", "1", "-300", "70000", "x".repeat(70)],
      ["RPUSH", "l:big", ...big(3000, (i) => (i % 2 ? `elem-${i}` : String(i * 1000)))],
      ["RPUSH", "l:plainish", "y".repeat(10000), "z"],
      ["HSET", "h:small", "f1", "v1", "f2", "2"],
      ["HSET", "h:big", ...big(400, (i) => (i % 2 ? `val${i}` : `field${i}`))],
      ["SADD", "set:ints", "1", "2", "-3", "100000", "5000000000"],
      ["SADD", "set:strs", "a", "b", "c"],
      ["SADD", "set:big", ...big(700, (i) => String(i))],
      ["ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "inf", "d"],
      ["ZADD", "z:big", ...big(600, (i) => (i % 2 ? `m${i}` : String(i / 7)))],
      ["SELECT", "5"],
      ["SET", "in:db5", "yes"],
      ["SELECT", "0"],
      ["SAVE"],
    ];
    for (const c of cmds) {
      const reply = await r.call(...c);
      assert.ok(!(reply instanceof RespErrorReply), `${c[0]}: ${String(reply)}`);
    }
    assert.equal(text(await r.call("OBJECT", "ENCODING", "l:big")), "quicklist");
    assert.equal(text(await r.call("OBJECT", "ENCODING", "h:small")), "listpack");
    assert.equal(text(await r.call("OBJECT", "ENCODING", "set:ints")), "intset");
    assert.equal(text(await r.call("OBJECT", "ENCODING", "z:big")), "skiplist");
    const ks = new Keyspace(16);
    const res = await loadRdb(readFileSync(join(redis.dir, "dump.rdb")), ks);
    assert.equal(res.aux.get("redis-ver"), "7.0.15");
    assert.equal(res.keys, 17);
    await assertRedisHolds(r, ks);
    // And what we write back from it is what Redis wrote: load our dump again and compare.
    const again = new Keyspace(16);
    await loadRdb(Buffer.concat(saveRdbSync(ks)), again);
    assert.deepEqual(dumpKeyspace(again), dumpKeyspace(ks));
    r.close();
  });

  it("keeps the aof-base and replication aux fields readable by redis-check-rdb", () => {
    const ks = new Keyspace(16);
    ks.dbs[0].setKey("k", "v");
    const dir = mkdtempSync(join(tmpdir(), "tandem-rdb-"));
    const path = join(dir, "dump.rdb");
    writeFileSync(
      path,
      Buffer.concat(saveRdbSync(ks, { replId: "a".repeat(40), replOffset: 99, aofBase: true })),
    );
    const check = spawnSync(REDIS_CHECK_RDB ?? "redis-check-rdb", [path], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stdout, /repl-id = 'a{40}'/);
    assert.match(check.stdout, /repl-offset = '99'/);
  });
});
