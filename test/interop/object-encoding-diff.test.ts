import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same, seededRandom, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * OBJECT ENCODING (and the DUMP bytes that follow from it) against Debian's redis-server 7.0: seeded random
 * runs build values of sizes around every threshold under random thresholds (hash-max-listpack-entries/
 * value, zset-max-listpack-entries/value, set-max-intset-entries, list-max-listpack-size), change the
 * thresholds between writes, shrink values again (an encoding never converts back), copy, rename, reload
 * and sort them, and compare the encoding of every touched key after every command — and its DUMP payload
 * wherever the encoding fixes the byte order. Then OBJECT REFCOUNT, IDLETIME and FREQ.
 */

type Cmd = (string | number)[];

describe("OBJECT ENCODING vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  async function run(cmds: Cmd[]): Promise<void> {
    for (const c of cmds) await same(t, r, c);
  }

  it("strings: int, embstr and raw at their boundaries, and the commands that leave a string raw", async () => {
    const values = [
      "0",
      "-1",
      "9999",
      "10000",
      "-0",
      "+1",
      "01",
      " 1",
      "1.5",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775808",
      "-9223372036854775809",
      "12345678901234567890",
      "",
      "x".repeat(44),
      "x".repeat(45),
      "1".repeat(20),
      "1".repeat(21),
    ];
    const cmds: Cmd[] = [["FLUSHALL"]];
    for (const [i, v] of values.entries()) cmds.push(["SET", `v${i}`, v], ["OBJECT", "ENCODING", `v${i}`]);
    cmds.push(
      ["SET", "a", "12"],
      ["APPEND", "a", ""],
      ["OBJECT", "ENCODING", "a"],
      ["APPEND", "new", "42"],
      ["OBJECT", "ENCODING", "new"],
      ["SETRANGE", "sr", 0, "7"],
      ["OBJECT", "ENCODING", "sr"],
      ["SET", "sr2", "abc"],
      ["SETRANGE", "sr2", 1, ""],
      ["OBJECT", "ENCODING", "sr2"],
      ["SETRANGE", "sr2", 1, "z"],
      ["OBJECT", "ENCODING", "sr2"],
      ["INCR", "sr2x"],
      ["OBJECT", "ENCODING", "sr2x"],
      ["SET", "n", "5"],
      ["APPEND", "n", "5"],
      ["INCR", "n"],
      ["OBJECT", "ENCODING", "n"],
      ["INCRBYFLOAT", "f", "3"],
      ["OBJECT", "ENCODING", "f"],
      ["INCRBYFLOAT", "f", "1.5"],
      ["OBJECT", "ENCODING", "f"],
      ["INCRBYFLOAT", "fbig", "1e50"],
      ["OBJECT", "ENCODING", "fbig"],
      ["SETBIT", "b", 3, 1],
      ["OBJECT", "ENCODING", "b"],
      ["SET", "b2", "x"],
      ["SETBIT", "b2", 1, 1],
      ["OBJECT", "ENCODING", "b2"],
      ["BITOP", "OR", "bo", "v1", "v2"],
      ["OBJECT", "ENCODING", "bo"],
      ["GETSET", "a", "77"],
      ["OBJECT", "ENCODING", "a"],
      ["MSET", "m1", "1", "m2", "x".repeat(50)],
      ["OBJECT", "ENCODING", "m1"],
      ["OBJECT", "ENCODING", "m2"],
      ["SET", "r", "ab"],
      ["APPEND", "r", "c"],
      ["COPY", "r", "rcopy"],
      ["OBJECT", "ENCODING", "rcopy"],
      ["RENAME", "r", "r2"],
      ["OBJECT", "ENCODING", "r2"],
      ["MOVE", "r2", 1],
      ["SELECT", 1],
      ["OBJECT", "ENCODING", "r2"],
      ["SELECT", 0],
      ["OBJECT", "ENCODING", "nosuchkey"],
    );
    await run(cmds);
    // A reload re-encodes from content, as does RESTORE.
    const dumped = (await r.call("DUMP", "rcopy")) as Buffer;
    await run([
      ["RESTORE", "rest", 0, dumped.toString("latin1")],
      ["OBJECT", "ENCODING", "rest"],
      ["DEBUG", "RELOAD"],
      ["OBJECT", "ENCODING", "rcopy"],
      ["OBJECT", "ENCODING", "f"],
      ["OBJECT", "ENCODING", "b"],
    ]);
  });

  it("sets: SPOP rebuilding a set with few members left, SMOVE and the *STORE commands", async () => {
    const members = Array.from({ length: 30 }, (_, i) => String(i));
    await run([
      ["FLUSHALL"],
      ["CONFIG", "SET", "set-max-intset-entries", "10"],
      ["SADD", "s", ...members],
      ["OBJECT", "ENCODING", "s"],
      // remaining 4, count 26: 4 * 5 <= 26, the set is rebuilt from the 4 left (all integers) → intset
      ["SCARD", "s"],
    ]);
    await t.call("SPOP", "s", 26);
    await r.call("SPOP", "s", 26);
    await run([
      ["OBJECT", "ENCODING", "s"],
      ["SCARD", "s"],
      ["DEL", "s"],
      ["SADD", "s", ...members],
    ]);
    // remaining 20, count 10: popped one by one, the set stays a hashtable
    await t.call("SPOP", "s", 10);
    await r.call("SPOP", "s", 10);
    await run([
      ["OBJECT", "ENCODING", "s"],
      ["SADD", "a", "1", "2"],
      ["SMOVE", "a", "fresh", "2"],
      ["OBJECT", "ENCODING", "fresh"],
      ["SMOVE", "a", "fresh2", "1"],
      ["SADD", "x", "x"],
      ["SMOVE", "x", "fresh3", "x"],
      ["OBJECT", "ENCODING", "fresh3"],
      ["SADD", "u1", "1", "2", "3"],
      ["SADD", "u2", "a", "3"],
      ["SINTERSTORE", "i", "u1", "u2"],
      ["OBJECT", "ENCODING", "i"],
      ["SUNIONSTORE", "u", "u1", "u2"],
      ["OBJECT", "ENCODING", "u"],
      ["SDIFFSTORE", "d", "u2", "u1"],
      ["OBJECT", "ENCODING", "d"],
      ["SADD", "w", "1", "70000"],
      ["SREM", "w", "70000"],
      ["DUMP", "w"],
      ["COPY", "w", "w2"],
      ["DUMP", "w2"],
      ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ]);
  });

  it("sorted sets: creation, growth, long members, *STORE, ZRANGESTORE and SORT's conversion", async () => {
    await run([
      ["FLUSHALL"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "3", "zset-max-listpack-value", "5"],
      ["ZADD", "z", 1, "a", 2, "b", 3, "c"],
      ["OBJECT", "ENCODING", "z"],
      ["ZADD", "z", 4, "d"],
      ["OBJECT", "ENCODING", "z"],
      ["ZREM", "z", "d", "c"],
      ["OBJECT", "ENCODING", "z"],
      ["ZADD", "long", 1, "abcdef"],
      ["OBJECT", "ENCODING", "long"],
      ["ZADD", "short", 1, "a", 1, "abcdef"],
      ["OBJECT", "ENCODING", "short"],
      ["ZADD", "up", 1, "a"],
      ["ZADD", "up", "INCR", 5, "a"],
      ["ZADD", "up", 7, "a"],
      ["OBJECT", "ENCODING", "up"],
      ["ZUNIONSTORE", "un", 2, "z", "up"],
      ["OBJECT", "ENCODING", "un"],
      ["ZRANGESTORE", "rs", "short", 0, -1],
      ["OBJECT", "ENCODING", "rs"],
      ["ZRANGESTORE", "rs2", "z", 0, 0],
      ["OBJECT", "ENCODING", "rs2"],
      ["SORT", "rs2", "ALPHA"],
      ["OBJECT", "ENCODING", "rs2"],
      ["SORT_RO", "un", "ALPHA"],
      ["OBJECT", "ENCODING", "un"],
      ["DUMP", "un"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
      ["ZADD", "zero", 1, "a"],
      ["OBJECT", "ENCODING", "zero"],
      ["DEBUG", "RELOAD"],
      ["OBJECT", "ENCODING", "z"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64"],
      ["DEBUG", "RELOAD"],
      ["OBJECT", "ENCODING", "z"],
      ["OBJECT", "ENCODING", "rs2"],
    ]);
  });

  it("random values around random thresholds: every touched key's encoding, and DUMP where it is deterministic", async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100000);
    console.log(`# object-encoding seed ${seed}`);
    const rand = seededRandom(seed);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const text = (len: number) => {
      let s = "";
      for (let i = 0; i < len; i++) s += String.fromCharCode(97 + int(0, 3));
      return s;
    };
    /** A member or value: integers of every width, or text of a length near the value thresholds. */
    const elem = () => {
      const k = rand();
      if (k < 0.35)
        return String(pick([int(0, 20), int(-300, 300), int(40000, 70000), 5000000000, -9007199254740991]));
      if (k < 0.4) return pick(["-0", "01", "+5", ""]);
      return text(int(0, 14));
    };
    const thresholds = () => [
      "CONFIG",
      "SET",
      "hash-max-listpack-entries",
      int(0, 10),
      "hash-max-listpack-value",
      int(0, 12),
      "zset-max-listpack-entries",
      int(0, 10),
      "zset-max-listpack-value",
      int(0, 12),
      "set-max-intset-entries",
      int(0, 10),
      "list-max-listpack-size",
      pick([-5, -4, -3, -2, -1, 1, 2, 3, 5, 8]),
    ];
    const hashes = ["h0", "h1", "h2"];
    const sets = ["s0", "s1", "s2"];
    const zsets = ["z0", "z1", "z2"];
    const lists = ["l0", "l1"];
    const strings = ["str0", "str1", "str2"];
    /**
     * Keys whose DUMP bytes cannot match: a list not built by RPUSH alone (under the fill it was created
     * with) or reloaded, a hash reloaded from a hash table (its order was the table's).
     */
    const unordered = new Set<string>();
    await run([["FLUSHALL"], thresholds()]);
    const ops = Number(process.env.OPS ?? 3000);
    for (let n = 0; n < ops; n++) {
      const roll = rand();
      let cmd: Cmd;
      let touched: string[] = [];
      if (roll < 0.02) {
        cmd = thresholds();
        touched = [];
      } else if (roll < 0.025) {
        cmd = ["DEBUG", "RELOAD"];
        touched = [...hashes, ...sets, ...zsets, ...lists, ...strings];
        for (const h of hashes)
          if ((await r.text("OBJECT", "ENCODING", h)).includes("hashtable")) unordered.add(h);
        // Redis keeps a reloaded list's nodes as saved, whatever list-max-listpack-size is now.
        for (const l of lists) unordered.add(l);
      } else if (roll < 0.22) {
        const k = pick(hashes);
        const c = rand();
        if (c < 0.5) {
          const args: Cmd = ["HSET", k];
          for (let i = int(1, 4); i > 0; i--)
            args.push(`f${int(0, 14)}${text(int(0, 3) === 0 ? int(5, 14) : 0)}`, elem());
          cmd = args;
        } else if (c < 0.6) cmd = ["HSETNX", k, `f${int(0, 14)}`, elem()];
        else if (c < 0.85) cmd = ["HDEL", k, `f${int(0, 14)}`, `f${int(0, 14)}`];
        else cmd = ["HINCRBY", k, `f${int(0, 3)}${text(int(0, 12))}`, int(-5, 5)];
        touched = [k];
      } else if (roll < 0.42) {
        const k = pick(sets);
        const c = rand();
        if (c < 0.55) {
          const args: Cmd = ["SADD", k];
          for (let i = int(1, 5); i > 0; i--) args.push(elem());
          cmd = args;
        } else if (c < 0.8) cmd = ["SREM", k, elem(), elem(), String(int(0, 20))];
        else if (c < 0.9) {
          const dst = pick(sets);
          cmd = [pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), dst, pick(sets), pick(sets)];
          touched = [dst];
        } else {
          const dst = pick(sets);
          cmd = ["SMOVE", pick(sets), dst, String(int(0, 20))];
          touched = [...sets];
        }
        touched ??= [k];
      } else if (roll < 0.65) {
        const k = pick(zsets);
        const c = rand();
        if (c < 0.5) {
          const args: Cmd = ["ZADD", k];
          for (let i = int(1, 4); i > 0; i--)
            args.push(pick([int(-5, 5), int(-5, 5) + 0.5, "inf", 1e17]), elem());
          cmd = args;
        } else if (c < 0.62) cmd = ["ZINCRBY", k, int(-3, 3), elem()];
        else if (c < 0.8) cmd = ["ZREM", k, elem(), elem()];
        else if (c < 0.85) cmd = ["ZREMRANGEBYRANK", k, 0, int(0, 3)];
        else if (c < 0.93)
          cmd =
            rand() < 0.5
              ? [pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), k, 2, pick(zsets), pick(zsets)]
              : ["ZRANGESTORE", k, pick(zsets), 0, int(-1, 8)];
        else cmd = ["SORT", k, "ALPHA", "LIMIT", 0, 2];
        touched = [k];
      } else if (roll < 0.78) {
        const k = pick(lists);
        const c = rand();
        if (c < 0.6) cmd = ["RPUSH", k, ...Array.from({ length: int(1, 6) }, elem)];
        else {
          cmd = rand() < 0.5 ? ["LPUSH", k, elem()] : [pick(["LPOP", "RPOP"]), k];
          unordered.add(k);
        }
        touched = [k];
      } else if (roll < 0.93) {
        const k = pick(strings);
        const c = rand();
        if (c < 0.4) cmd = ["SET", k, rand() < 0.5 ? elem() : text(pick([43, 44, 45, 50]))];
        else if (c < 0.55) cmd = ["APPEND", k, text(int(0, 3))];
        else if (c < 0.65) cmd = ["SETRANGE", k, int(0, 3), text(int(0, 2))];
        else if (c < 0.75) cmd = ["INCR", k];
        else if (c < 0.85) cmd = ["INCRBYFLOAT", k, pick(["1", "0.5", "-2"])];
        else cmd = ["SETBIT", k, int(0, 40), int(0, 1)];
        touched = [k];
      } else {
        const group = pick([hashes, sets, zsets, lists, strings]);
        const src = pick(group);
        const dst = pick(group);
        cmd = rand() < 0.5 ? ["COPY", src, dst, "REPLACE"] : ["RENAME", src, dst];
        touched = [src, dst];
        // The destination takes the source's value (and its history) when there is one to take.
        if (src !== dst && (await r.text("EXISTS", src)) === ":1\r\n") {
          if (unordered.has(src)) unordered.add(dst);
          else unordered.delete(dst);
        }
      }
      await same(t, r, cmd);
      for (const k of touched) {
        const enc = await same(t, r, ["OBJECT", "ENCODING", k]);
        const e = enc.toString("latin1");
        if (e.includes("hashtable") || unordered.has(k)) continue;
        await same(t, r, ["DUMP", k]);
      }
      for (const k of touched) if ((await t.text("EXISTS", k)) === ":0\r\n") unordered.delete(k);
    }
    await run([
      [
        "CONFIG",
        "SET",
        "hash-max-listpack-entries",
        "512",
        "hash-max-listpack-value",
        "64",
        "zset-max-listpack-entries",
        "128",
        "zset-max-listpack-value",
        "64",
        "set-max-intset-entries",
        "512",
        "list-max-listpack-size",
        "-2",
      ],
    ]);
  });

  it("MEMORY: errors, HELP, PURGE, USAGE's and DOCTOR's reply types, STATS field names, as Redis", async () => {
    await run([
      ["FLUSHALL"],
      ["SET", "k", "v"],
      ["MEMORY", "HELP"],
      ["MEMORY", "USAGE", "nokey"],
      ["MEMORY", "USAGE", "k", "SAMPLES", -1],
      ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
      ["MEMORY", "USAGE", "k", "SAMPLES"],
      ["MEMORY", "USAGE", "k", "FOO", 1],
      ["MEMORY", "USAGE"],
      ["MEMORY", "FOO"],
      ["MEMORY", "STATS", "extra"],
      ["MEMORY", "PURGE"],
    ]);
    await same(t, r, ["MEMORY", "USAGE", "k", "SAMPLES", 0], { shapeOnly: true });
    await same(t, r, ["MEMORY", "DOCTOR"], { shapeOnly: true });
    const names = async (c: RawClient) => {
      const v = (await c.call("MEMORY", "STATS")) as (Buffer | number | unknown[])[];
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 2) out.push(String(v[i]));
      return out;
    };
    assert.deepEqual(await names(t), await names(r));
  });

  it("OBJECT REFCOUNT: shared small integers unless an LRU/LFU policy is set with maxmemory", async () => {
    const cmds: Cmd[] = [
      ["FLUSHALL"],
      ["SET", "a", "5"],
      ["SET", "b", "9999"],
      ["SET", "c", "10000"],
      ["SET", "d", "x"],
    ];
    cmds.push(["HSET", "h", "f", "1"], ["INCR", "i"], ["SET", "neg", "-1"]);
    for (const k of ["a", "b", "c", "d", "h", "i", "neg", "nokey"]) cmds.push(["OBJECT", "REFCOUNT", k]);
    cmds.push(
      ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
      ["SET", "e", "7"],
      ["OBJECT", "REFCOUNT", "e"],
    );
    cmds.push(["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    await run(cmds);
  });

  it("OBJECT IDLETIME: reads and writes restart it; TYPE, EXISTS, TTL, OBJECT and SCAN do not", async () => {
    for (const c of [t, r]) {
      await c.call("SET", "src", "hello");
      const payload = ((await c.call("DUMP", "src")) as Buffer).toString("latin1");
      const idle = async () => Number((await c.text("OBJECT", "IDLETIME", "k")).slice(1));
      for (const cmd of [
        ["TYPE", "k"],
        ["EXISTS", "k"],
        ["TTL", "k"],
        ["OBJECT", "ENCODING", "k"],
        ["SCAN", 0],
        ["KEYS", "*"],
      ]) {
        await c.call("RESTORE", "k", 0, payload, "REPLACE", "IDLETIME", 500);
        await c.call(...cmd);
        assert.ok((await idle()) >= 500, `${cmd.join(" ")} must not count as an access`);
      }
      for (const cmd of [
        ["GET", "k"],
        ["SET", "k", "v"],
        ["TOUCH", "k"],
        ["APPEND", "k", "x"],
        ["DUMP", "k"],
      ]) {
        await c.call("RESTORE", "k", 0, payload, "REPLACE", "IDLETIME", 500);
        await c.call(...cmd);
        assert.ok((await idle()) <= 1, `${cmd.join(" ")} is an access`);
      }
    }
  });

  it("OBJECT FREQ under allkeys-lfu (lfu-log-factor 0 and no decay make the counter exact)", async () => {
    const cmds: Cmd[] = [
      ["FLUSHALL"],
      ["OBJECT", "FREQ", "nokey"],
      ["SET", "a", "v"],
      ["OBJECT", "FREQ", "a"],
      ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu", "lfu-log-factor", "0", "lfu-decay-time", "0"],
      ["OBJECT", "IDLETIME", "a"],
      // Clocks stamped under LRU read as LFU counters would depend on the second they were set: start afresh.
      ["FLUSHALL"],
      ["SET", "a", "v"],
      ["SET", "b", "hello"],
      ["MSET", "a", "w", "c", "x"],
      ["HSET", "h", "f", "v"],
      ["RPUSH", "l", "x"],
      ["SADD", "s", "m"],
      ["ZADD", "z", 1, "m"],
      ["SET", "n", "100000"],
    ];
    const reads: Cmd[] = [
      ["GET", "a"],
      ["GET", "b"],
      ["MGET", "a", "b", "c"],
      ["EXISTS", "a"],
      ["TYPE", "b"],
      ["TTL", "c"],
      ["TOUCH", "a", "b"],
      ["APPEND", "b", "!"],
      ["INCR", "n"],
      ["INCRBY", "n", 5],
      ["GETSET", "c", "y"],
      ["SET", "c", "z", "GET"],
      ["SET", "c", "z", "NX"],
      ["SET", "c", "z", "XX", "EX", 1000],
      ["STRLEN", "c"],
      ["HGET", "h", "f"],
      ["HSET", "h", "g", "w"],
      ["LRANGE", "l", 0, -1],
      ["RPUSH", "l", "y"],
      ["SISMEMBER", "s", "m"],
      ["SADD", "s", "n"],
      ["ZSCORE", "z", "m"],
      ["ZADD", "z", 2, "n"],
      ["DUMP", "h"],
      ["RENAME", "b", "b2"],
      ["COPY", "a", "a2"],
    ];
    for (const c of reads) {
      cmds.push(c);
      for (const k of ["a", "b", "b2", "c", "a2", "h", "l", "s", "z", "n"]) cmds.push(["OBJECT", "FREQ", k]);
    }
    cmds.push([
      "CONFIG",
      "SET",
      "maxmemory-policy",
      "noeviction",
      "lfu-log-factor",
      "10",
      "lfu-decay-time",
      "1",
    ]);
    await run(cmds);
  });
});
