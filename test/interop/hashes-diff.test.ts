import { after, before, describe, it } from "node:test";
import { same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * The hash family against Debian's redis-server 7.0. Small hashes with short values are listpacks in
 * Redis, whose order is insertion order — the order our Maps keep — so their replies compare exactly;
 * large ones compare as sorted pairs.
 */

const CASES: (string | number)[][] = [
  ["HSET", "h", "a", "1", "b", "2", "c", "3"],
  ["HSET", "h", "a", "10", "d", "4"],
  ["HSET", "h", "a"],
  ["HSET", "h", "a", "1", "b"],
  ["HMSET", "h", "e", "5"],
  ["HMSET", "h", "e"],
  ["HSETNX", "h", "a", "x"],
  ["HSETNX", "h", "n", "x"],
  ["HGET", "h", "a"],
  ["HGET", "h", "zz"],
  ["HGET", "nokey", "a"],
  ["HMGET", "h", "a", "zz", "b"],
  ["HMGET", "nokey", "a", "b"],
  ["HEXISTS", "h", "a"],
  ["HEXISTS", "h", "zz"],
  ["HEXISTS", "nokey", "a"],
  ["HLEN", "h"],
  ["HLEN", "nokey"],
  ["HSTRLEN", "h", "a"],
  ["HSTRLEN", "h", "zz"],
  ["HSTRLEN", "nokey", "zz"],
  ["HKEYS", "h"],
  ["HVALS", "h"],
  ["HGETALL", "h"],
  ["HKEYS", "nokey"],
  ["HVALS", "nokey"],
  ["HGETALL", "nokey"],
  ["HDEL", "h", "a", "zz", "a"],
  ["HDEL", "nokey", "a"],
  ["HGETALL", "h"],
  ["HINCRBY", "h", "b", 5],
  ["HINCRBY", "h", "new", -5],
  ["HINCRBY", "h", "b", "x"],
  ["HINCRBY", "h", "b", "1.5"],
  ["HSET", "h", "s", "abc", "big", "9223372036854775806", "f", "1.5"],
  ["HINCRBY", "h", "s", 1],
  ["HINCRBY", "h", "big", 1],
  ["HINCRBY", "h", "big", 1],
  ["HINCRBY", "h", "big", "-9223372036854775808"],
  ["HINCRBY", "nokey2", "f", "-9223372036854775808"],
  ["HINCRBY", "nokey2", "f", -1],
  ["HINCRBYFLOAT", "h", "f", "0.1"],
  ["HINCRBYFLOAT", "h", "f", "1.1"],
  ["HINCRBYFLOAT", "h", "f", "-2.7"],
  ["HINCRBYFLOAT", "h", "f", "1e3"],
  ["HINCRBYFLOAT", "h", "f", "3.0e3"],
  ["HINCRBYFLOAT", "h", "g", "5"],
  ["HINCRBYFLOAT", "h", "b", "0.5"],
  ["HINCRBYFLOAT", "h", "s", "1"],
  ["HINCRBYFLOAT", "h", "f", "x"],
  ["HINCRBYFLOAT", "h", "f", "inf"],
  ["HINCRBYFLOAT", "h", "f", "-inf"],
  ["HINCRBYFLOAT", "h", "f", "nan"],
  ["HINCRBYFLOAT", "h", "f", " 1"],
  ["HINCRBYFLOAT", "fh", "f", "1e308"],
  ["HINCRBYFLOAT", "fh", "f", "1e308"],
  ["HINCRBYFLOAT", "fh", "f", "1e4932"],
  ["HGETALL", "h"],
  ["HRANDFIELD", "h", 0],
  ["HRANDFIELD", "h", 100],
  ["HRANDFIELD", "h", 100, "WITHVALUES"],
  ["HRANDFIELD", "h", 100, "withvalues"],
  ["HRANDFIELD", "h", "x"],
  ["HRANDFIELD", "h", "x", "y"],
  ["HRANDFIELD", "h", 1, "y"],
  ["HRANDFIELD", "h", 1, "WITHVALUES", "x"],
  ["HRANDFIELD", "h", "-9223372036854775808"],
  ["HRANDFIELD", "nokey", 3],
  ["HRANDFIELD", "nokey", -3, "WITHVALUES"],
  ["HRANDFIELD", "nokey"],
  ["HSCAN", "h", 0],
  ["HSCAN", "h", 0, "MATCH", "b*"],
  ["HSCAN", "h", 0, "COUNT", 1],
  ["HSCAN", "h", 0, "COUNT", 0],
  ["HSCAN", "h", 0, "COUNT", "x"],
  ["HSCAN", "h", 0, "FOO", "x"],
  ["HSCAN", "h", 0, "COUNT"],
  ["HSCAN", "h", "x"],
  ["HSCAN", "h", "-1"],
  ["HSCAN", "h", "18446744073709551616"],
  ["HSCAN", "nokey", 0],
  ["HSCAN", "nokey", 0, "COUNT", 0],
  ["SET", "str", "v"],
  ["HSET", "str", "a", "1"],
  ["HSETNX", "str", "a", "1"],
  ["HMSET", "str", "a", "1"],
  ["HGET", "str", "a"],
  ["HMGET", "str", "a"],
  ["HDEL", "str", "a"],
  ["HLEN", "str"],
  ["HEXISTS", "str", "a"],
  ["HSTRLEN", "str", "a"],
  ["HKEYS", "str"],
  ["HVALS", "str"],
  ["HGETALL", "str"],
  ["HINCRBY", "str", "a", 1],
  ["HINCRBYFLOAT", "str", "a", 1],
  ["HRANDFIELD", "str"],
  ["HRANDFIELD", "str", 1],
  ["HSCAN", "str", 0],
  ["HSET", "one", "f", "v"],
  ["HDEL", "one", "f"],
  ["EXISTS", "one"],
  ["HGET", "h"],
];

describe("hashes vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  it("answers every hash command and error like Redis 7.0", async () => {
    await same(t, r, ["FLUSHALL"]);
    for (const args of CASES) await same(t, r, args);
  });

  it("answers in RESP3 like Redis 7.0 (maps, WITHVALUES pairs)", async () => {
    await same(t, r, ["FLUSHALL"]);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      for (const args of [
        ["HSET", "h", "a", "1", "b", "2"],
        ["HGETALL", "h"],
        ["HGETALL", "nokey"],
        ["HRANDFIELD", "h", 10, "WITHVALUES"],
        ["HRANDFIELD", "h", 10],
        ["HRANDFIELD", "nokey", 10, "WITHVALUES"],
        ["HGET", "h", "zz"],
        ["HMGET", "h", "zz"],
        ["HINCRBYFLOAT", "h", "a", "1.5"],
      ])
        await same(t, r, args);
      // Random picks: only the shape (one pair per pick) can be compared.
      const [a, b] = await Promise.all([
        t.text("HRANDFIELD", "h", -3, "WITHVALUES"),
        r.text("HRANDFIELD", "h", -3, "WITHVALUES"),
      ]);
      const shape = (s: string) => s.replace(/\$1\r\n[ab]\r\n\$\d+\r\n[\d.]+\r\n/g, "P");
      if (shape(a) !== shape(b)) throw new Error(`HRANDFIELD -3 WITHVALUES shapes differ: ${a} vs ${b}`);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  it("walks a large hash with HSCAN cursors to the same content", async () => {
    await same(t, r, ["FLUSHALL"]);
    const args: string[] = ["HSET", "big"];
    for (let i = 0; i < 700; i++) args.push(`f${i}`, `v${i}`);
    await same(t, r, args);
    await same(t, r, ["HGETALL", "big"], { sortedPairs: true });
    for (const client of [t, r]) {
      const seen = new Map<string, string>();
      let cursor = "0";
      let rounds = 0;
      do {
        const reply = (await client.call("HSCAN", "big", cursor, "COUNT", 50)) as [Buffer, Buffer[]];
        cursor = reply[0].toString();
        for (let i = 0; i < reply[1].length; i += 2)
          seen.set(reply[1][i].toString(), reply[1][i + 1].toString());
        if (++rounds > 1000) throw new Error("HSCAN never finished");
      } while (cursor !== "0");
      if (seen.size !== 700 || seen.get("f699") !== "v699") throw new Error(`HSCAN saw ${seen.size} fields`);
    }
  });

  it("matches Redis over 10,000 seeded random hash commands", async () => {
    const seed = testSeed();
    await same(t, r, ["FLUSHALL"]);
    const keys = ["h0", "h1", "h2", "str"];
    const fields = ["a", "b", "c", "d", "e", "f"];
    const vals = ["1", "-2", "x", "2.5", "10", "9223372036854775807", ""];
    const gen = (rnd: () => number): RandomCommand => {
      const k = pick(rnd, keys);
      const f = pick(rnd, fields);
      const v = pick(rnd, vals);
      switch (randInt(rnd, 0, 20)) {
        case 0:
        case 1:
        case 2:
          return { args: ["HSET", k, f, v, pick(rnd, fields), pick(rnd, vals)] };
        case 3:
          return { args: ["HSETNX", k, f, v] };
        case 4:
          return { args: ["HMSET", k, f, v] };
        case 5:
          return { args: ["HGET", k, f] };
        case 6:
          return { args: ["HMGET", k, f, pick(rnd, fields)] };
        case 7:
          return { args: ["HDEL", k, f, pick(rnd, fields)] };
        case 8:
          return { args: ["HEXISTS", k, f] };
        case 9:
          return { args: ["HLEN", k] };
        case 10:
          return { args: ["HSTRLEN", k, f] };
        case 11:
          return { args: [pick(rnd, ["HKEYS", "HVALS", "HGETALL"]), k] };
        case 12:
          return { args: ["HINCRBY", k, f, pick(rnd, ["1", "-3", "100", "x", "9223372036854775807"])] };
        case 13:
          return { args: ["HINCRBYFLOAT", k, f, pick(rnd, ["0.1", "-1.5", "3", "1e3", "x", "2.25"])] };
        case 14: {
          const count = randInt(rnd, -4, 8);
          const args = ["HRANDFIELD", k, String(count)];
          if (rnd() < 0.5) args.push("WITHVALUES");
          // A count ≥ 6 (the number of fields) returns the whole hash; smaller ones are random picks.
          return { args, mode: count >= 6 ? "sorted" : "shape" };
        }
        case 15:
          return { args: ["HRANDFIELD", k], mode: "shape" };
        case 16:
          return { args: ["HSCAN", k, "0", "MATCH", pick(rnd, ["*", "a*", "[a-c]", "z*"])] };
        case 17:
          return { args: ["SET", "str", v] };
        case 18:
          return { args: ["DEL", k] };
        case 19:
          return { args: ["TYPE", k] };
        default:
          return { args: ["EXISTS", k] };
      }
    };
    try {
      await runRandomDiff(t, r, seed, 10_000, gen);
    } catch (err) {
      console.error(`hashes random diff failed; replay with TEST_SEED=${seed}`);
      throw err;
    }
  });
});
