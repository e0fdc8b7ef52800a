import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { type Cmd, sameSequence, sorted } from "../helpers/diff-sequence.js";
import { startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The generic keyspace commands, differentially against Debian's redis-server 7.0: raw replies compared
 * (sorted where Redis leaves the order open), including every error text. SCAN is compared by the union
 * of complete iterations, since page boundaries depend on hash-table internals.
 */

describe("keyspace commands vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  async function run(cmds: Cmd[]): Promise<void> {
    await sameSequence(t, r, [["SELECT", 0], ["FLUSHALL"], ...cmds]);
  }

  /**
   * Waits until a sentinel key, given a TTL after the keys under test, is gone on both servers: by then
   * every key with an earlier deadline has logically expired too, untouched by any lookup.
   */
  async function waitPastTtl(ms: number): Promise<void> {
    await sameSequence(t, r, [["SET", "ttl-sentinel", 1, "PX", ms]]);
    await waitFor("the sentinel key to expire", async () => {
      const [a, b] = await Promise.all([t.text("PTTL", "ttl-sentinel"), r.text("PTTL", "ttl-sentinel")]);
      return a === ":-2\r\n" && b === ":-2\r\n";
    });
  }

  it("DEL, UNLINK, EXISTS (repeats count), TYPE, TOUCH", async () => {
    await run([
      ["MSET", "a", 1, "b", 2, "c", 3],
      ["ZADD", "z", 1, "m"],
      ["EXISTS", "a", "a", "b", "nosuch", "z"],
      ["TYPE", "a"],
      ["TYPE", "z"],
      ["TYPE", "nosuch"],
      ["TOUCH", "a", "b", "nosuch", "a"],
      ["DEL", "a", "a", "nosuch"],
      ["UNLINK", "b", "z"],
      ["EXISTS", "a", "b", "z"],
      ["DEL", "nosuch"],
      ["DEL"],
      ["EXISTS"],
      ["TYPE"],
      ["TYPE", "a", "b"],
      ["DBSIZE"],
    ]);
  });

  it("RENAME and RENAMENX keep TTLs and answer Redis's errors", async () => {
    await run([
      ["SET", "a", "va"],
      ["SET", "b", "vb"],
      ["EXPIRE", "a", 1000],
      ["RENAME", "a", "a2"],
      ["TTL", "a2"],
      ["EXISTS", "a"],
      ["RENAME", "nosuch", "x"],
      ["RENAMENX", "nosuch", "x"],
      ["RENAME", "a2", "a2"],
      ["RENAMENX", "a2", "a2"],
      ["RENAMENX", "a2", "b"],
      ["RENAMENX", "a2", "c"],
      ["GET", "c"],
      ["TTL", "c"],
      ["EXPIRE", "b", 500],
      ["RENAME", "c", "b"],
      ["TTL", "b"],
      ["GET", "b"],
      ["ZADD", "z", 1, "m"],
      ["RENAME", "z", "b"],
      ["TYPE", "b"],
      ["ZRANGE", "b", 0, -1, "WITHSCORES"],
      ["RENAME", "b"],
    ]);
  });

  it("KEYS with glob patterns", async () => {
    await run([
      ["MSET", "hello", 1, "hallo", 2, "hxllo", 3, "hllo", 4, "heeeello", 5, "h*llo", 6, "a[b", 7, "ab", 8],
      sorted(["KEYS", "*"]),
      sorted(["KEYS", "h?llo"]),
      sorted(["KEYS", "h*llo"]),
      sorted(["KEYS", "h[ae]llo"]),
      sorted(["KEYS", "h[^e]llo"]),
      sorted(["KEYS", "h[a-b]llo"]),
      sorted(["KEYS", "h\\*llo"]),
      sorted(["KEYS", "a[b"]),
      sorted(["KEYS", "nomatch*"]),
      sorted(["KEYS", ""]),
      ["KEYS"],
    ]);
  });

  it("SCAN: complete iterations with MATCH, COUNT and TYPE return every key once", async () => {
    await run([["FLUSHALL"]]);
    const setup: Cmd[] = [];
    for (let i = 0; i < 300; i++) setup.push(["SET", `key:${i}`, i]);
    for (let i = 0; i < 20; i++) setup.push(["ZADD", `zset:${i}`, 1, "m"]);
    await sameSequence(t, r, setup);

    async function fullScan(c: RawClient, opts: (string | number)[]): Promise<string[]> {
      const keys: string[] = [];
      let cursor = "0";
      for (let guard = 0; guard < 10_000; guard++) {
        const reply = RespDecoder.decodeAll(await c.raw("SCAN", cursor, ...opts))[0] as [Buffer, Buffer[]];
        cursor = reply[0].toString();
        for (const k of reply[1]) keys.push(k.toString("latin1"));
        if (cursor === "0") return keys.sort();
      }
      throw new Error("SCAN did not finish");
    }
    for (const opts of [
      [],
      ["COUNT", 7],
      ["COUNT", 1000],
      ["MATCH", "key:1*"],
      ["MATCH", "*"],
      ["MATCH", "zset:*", "COUNT", 3],
      ["TYPE", "zset"],
      ["TYPE", "STRING", "MATCH", "key:2?"],
      ["TYPE", "list"],
      ["TYPE", "nosuchtype"],
    ]) {
      const [a, b] = await Promise.all([fullScan(t, opts), fullScan(r, opts)]);
      assert.deepEqual(a, b, `SCAN ${JSON.stringify(opts)}`);
      assert.equal(new Set(a).size, a.length, "no key is returned twice");
    }
    // Small databases fit one page: the cursor and the keys match exactly.
    await run([["MSET", "x", 1, "y", 2, "z", 3], sorted(["SCAN", 0]), sorted(["SCAN", "", "COUNT", 100])]);
    await sameSequence(t, r, [
      ["SCAN", "x"],
      ["SCAN", " 0"],
      ["SCAN", "0 "],
      ["SCAN", "18446744073709551616"],
      ["SCAN", "0", "COUNT", 0],
      ["SCAN", "0", "COUNT", -1],
      ["SCAN", "0", "COUNT", "x"],
      ["SCAN", "0", "COUNT"],
      ["SCAN", "0", "MATCH"],
      ["SCAN", "0", "TYPE"],
      ["SCAN", "0", "BOGUS", "x"],
      ["SCAN"],
    ]);
  });

  it("SCAN skips expired keys and ends on an empty database", async () => {
    await run([
      ["SET", "live", 1],
      ["SET", "dead", 1, "PX", 1],
    ]);
    await waitPastTtl(5);
    await sameSequence(t, r, [sorted(["SCAN", 0, "COUNT", 100]), ["FLUSHDB"], ["SCAN", 0], ["RANDOMKEY"]]);
  });

  it("RANDOMKEY returns an existing key", async () => {
    await run([["RANDOMKEY"], ["SET", "only", 1], ["RANDOMKEY"]]);
    await sameSequence(t, r, [["MSET", "a", 1, "b", 2, "c", 3]]);
    for (let i = 0; i < 20; i++) {
      const k = await t.text("RANDOMKEY");
      assert.match(k, /^\$\d\r\n(only|a|b|c)\r\n$/);
    }
  });

  it("SELECT, MOVE, SWAPDB across databases", async () => {
    await run([
      ["SET", "k", "v0"],
      ["EXPIRE", "k", 1000],
      ["MOVE", "k", 1],
      ["EXISTS", "k"],
      ["SELECT", 1],
      ["GET", "k"],
      ["TTL", "k"],
      ["MOVE", "k", 1],
      ["MOVE", "k", 0],
      ["MOVE", "nosuch", 0],
      ["SELECT", 0],
      ["SET", "k", "other"],
      ["SELECT", 1],
      ["MOVE", "k", 0],
      ["MOVE", "k", 16],
      ["MOVE", "k", -1],
      ["MOVE", "k", "x"],
      ["MOVE", "k", "99999999999"],
      ["SELECT", 0],
      ["SWAPDB", 0, 1],
      ["GET", "k"],
      ["TTL", "k"],
      ["SELECT", 1],
      ["GET", "k"],
      ["SWAPDB", 1, 1],
      ["SWAPDB", 0, 16],
      ["SWAPDB", -1, 0],
      ["SWAPDB", "x", 0],
      ["SWAPDB", 0, "y"],
      ["SWAPDB", "x", "y"],
      ["SWAPDB", 0],
      ["SELECT", 16],
      ["SELECT", "x"],
      ["SELECT", 0],
      ["DBSIZE"],
    ]);
  });

  it("COPY with DB and REPLACE makes independent copies with the TTL", async () => {
    await run([
      ["SET", "s", "v"],
      ["EXPIRE", "s", 1000],
      ["COPY", "s", "s2"],
      ["GET", "s2"],
      ["TTL", "s2"],
      ["COPY", "s", "s2"],
      ["SET", "s3", "x"],
      ["COPY", "s", "s3", "REPLACE"],
      ["GET", "s3"],
      ["COPY", "s", "s", "REPLACE"],
      ["COPY", "s", "s", "DB", 0],
      ["COPY", "s", "s", "DB", 1],
      ["SELECT", 1],
      ["GET", "s"],
      ["TTL", "s"],
      ["SELECT", 0],
      ["COPY", "nosuch", "x"],
      ["COPY", "s", "x", "DB", 16],
      ["COPY", "s", "x", "DB", "x"],
      ["COPY", "s", "x", "DB"],
      ["COPY", "s", "x", "BOGUS"],
      ["COPY", "s", "x", "REPLACE", "REPLACE", "DB", 2, "DB", 3],
      ["SELECT", 3],
      ["EXISTS", "x"],
      ["SELECT", 0],
      ["ZADD", "z", 1, "a", 2, "b"],
      ["COPY", "z", "z2"],
      ["ZADD", "z2", 3, "c"],
      ["ZREM", "z", "a"],
      ["ZRANGE", "z", 0, -1, "WITHSCORES"],
      ["ZRANGE", "z2", 0, -1, "WITHSCORES"],
      ["COPY", "z", "s", "REPLACE"],
      ["TYPE", "s"],
      ["TTL", "s"],
      ["COPY", "s"],
    ]);
  });

  it("EXPIRE family with NX/XX/GT/LT and their incompatibilities", async () => {
    const when = 4102444800; // 2100-01-01, far enough for exact comparisons
    await run([
      ["SET", "k", "v"],
      ["EXPIRE", "nosuch", 100],
      ["TTL", "nosuch"],
      ["PTTL", "nosuch"],
      ["TTL", "k"],
      ["PTTL", "k"],
      ["EXPIRETIME", "k"],
      ["PEXPIRETIME", "k"],
      ["EXPIRE", "k", 100, "XX"],
      ["EXPIRE", "k", 100, "GT"],
      ["EXPIRE", "k", 100, "LT"],
      ["TTL", "k"],
      ["EXPIRE", "k", 200, "NX"],
      ["EXPIRE", "k", 300, "GT"],
      ["TTL", "k"],
      ["EXPIRE", "k", 50, "GT"],
      ["EXPIRE", "k", 50, "LT"],
      ["TTL", "k"],
      ["EXPIRE", "k", 500, "LT"],
      ["EXPIRE", "k", 500, "XX", "GT"],
      ["TTL", "k"],
      ["EXPIRE", "k", 10, "nx", "xx"],
      ["EXPIRE", "k", 10, "NX", "GT"],
      ["EXPIRE", "k", 10, "LT", "NX"],
      ["EXPIRE", "k", 10, "GT", "LT"],
      ["EXPIRE", "k", 10, "BOGUS"],
      ["EXPIRE", "k", 10, "NX", "BOGUS"],
      ["EXPIRE", "k", "x"],
      ["EXPIRE", "k", "1.5"],
      ["EXPIRE", "k", "9223372036854775807"],
      ["EXPIRE", "k", "9223372036854775"],
      ["EXPIRE", "k", "-9223372036854775808"],
      ["PEXPIRE", "k", "9223372036854775807"],
      ["EXPIREAT", "k", when],
      ["EXPIRETIME", "k"],
      ["PEXPIRETIME", "k"],
      ["PEXPIREAT", "k", when * 1000 + 123],
      ["PEXPIRETIME", "k"],
      ["EXPIRETIME", "k"],
      ["PEXPIREAT", "k", "9223372036854775807", "GT"],
      ["EXPIREAT", "k", "9223372036854775807"],
      ["PERSIST", "k"],
      ["PERSIST", "k"],
      ["PERSIST", "nosuch"],
      ["TTL", "k"],
      ["PEXPIRE", "k", 100000],
      ["TTL", "k"],
      ["EXPIRE", "k", 100, "LT"],
      ["EXPIRE", "k", 0],
      ["EXISTS", "k"],
      ["SET", "k", "v"],
      ["EXPIRE", "k", -10],
      ["EXISTS", "k"],
      ["SET", "k", "v"],
      ["EXPIREAT", "k", 1],
      ["EXISTS", "k"],
      ["SET", "k", "v"],
      ["PEXPIREAT", "k", 0, "NX"],
      ["EXISTS", "k"],
      ["SET", "k", "v"],
      ["EXPIRE", "k", -1, "GT"],
      ["EXPIRE", "k", -1, "LT"],
      ["EXISTS", "k"],
      ["ZADD", "z", 1, "m"],
      ["EXPIRE", "z", 100],
      ["TTL", "z"],
      ["PERSIST", "z"],
      ["EXPIRE", "k"],
      ["TTL"],
      ["PERSIST"],
    ]);
  });

  it("a key whose TTL passed is gone for every command", async () => {
    await run([
      ["SET", "k", "v", "PX", 5],
      ["ZADD", "z", 1, "m"],
      ["PEXPIRE", "z", 5],
    ]);
    await waitPastTtl(10);
    await sameSequence(t, r, [
      ["EXISTS", "k", "z"],
      ["TTL", "k"],
      ["TYPE", "z"],
      ["RENAME", "k", "x"],
      ["MOVE", "k", 1],
      ["COPY", "z", "x"],
      ["PERSIST", "k"],
      ["GET", "k"],
      sorted(["KEYS", "*"]),
      ["DBSIZE"],
    ]);
  });

  it("SWAPDB wakes a client blocked on a key the swap brings in", async () => {
    await run([["FLUSHALL"]]);
    const [tb, rb] = await Promise.all([tandem.client(), redis.client()]);
    try {
      const replies = [tb.raw("BLPOP", "L", 10), rb.raw("BLPOP", "L", 10)];
      await waitFor("both BLPOPs to block", async () => {
        const [a, b] = await Promise.all([t.text("INFO", "clients"), r.text("INFO", "clients")]);
        return a.includes("blocked_clients:1") && b.includes("blocked_clients:1");
      });
      await sameSequence(t, r, [
        ["SELECT", 1],
        ["RPUSH", "L", "x"],
        ["SWAPDB", 0, 1],
        ["SELECT", 0],
      ]);
      const [a, b] = await Promise.all(replies);
      assert.equal(a.toString("latin1"), b.toString("latin1"));
      assert.equal(a.toString("latin1"), "*2\r\n$1\r\nL\r\n$1\r\nx\r\n");
    } finally {
      tb.close();
      rb.close();
    }
  });
});
