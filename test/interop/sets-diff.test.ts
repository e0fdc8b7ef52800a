import { after, before, describe, it } from "node:test";
import { type DiffOptions, same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * The set family against Debian's redis-server 7.0. Set order is unspecified (hash tables in Redis), so
 * multi-member replies compare as sorted multisets; random ones (SPOP, SRANDMEMBER) by shape only.
 */

const S: DiffOptions = { sorted: true };

const CASES: [(string | number)[], DiffOptions?][] = [
  [["SADD", "s", "a", "b", "c", "1", "2"]],
  [["SADD", "s", "a", "d", "d"]],
  [["SADD", "t", "b", "c", "x"]],
  [["SADD", "u", "c", "y"]],
  [["SREM", "s", "1", "zz", "1"]],
  [["SREM", "nokey", "a"]],
  [["SCARD", "s"]],
  [["SCARD", "nokey"]],
  [["SISMEMBER", "s", "a"]],
  [["SISMEMBER", "s", "zz"]],
  [["SISMEMBER", "nokey", "a"]],
  [["SMISMEMBER", "s", "a", "zz", "b"]],
  [["SMISMEMBER", "nokey", "a", "b"]],
  [["SMEMBERS", "s"], S],
  [["SMEMBERS", "nokey"]],
  [["SINTER", "s", "t"], S],
  [["SINTER", "s", "t", "u"], S],
  [["SINTER", "s", "nokey"]],
  [["SINTER", "s"], S],
  [["SUNION", "s", "t", "nokey"], S],
  [["SDIFF", "s", "t"], S],
  [["SDIFF", "s", "t", "u"], S],
  [["SDIFF", "nokey", "s"]],
  [["SDIFF", "s", "s"]],
  [["SINTERCARD", 2, "s", "t"]],
  [["SINTERCARD", 1, "s", "LIMIT", 2]],
  [["SINTERCARD", 1, "s", "LIMIT", 0]],
  [["SINTERCARD", 1, "s", "limit", 100]],
  [["SINTERCARD", 2, "s", "nokey"]],
  [["SINTERCARD", 0, "s"]],
  [["SINTERCARD", -1, "s"]],
  [["SINTERCARD", "x", "s"]],
  [["SINTERCARD", 3, "s", "t"]],
  [["SINTERCARD", 1, "s", "LIMIT", -1]],
  [["SINTERCARD", 1, "s", "LIMIT", "x"]],
  [["SINTERCARD", 1, "s", "LIMIT"]],
  [["SINTERCARD", 1, "s", "FOO", 1]],
  [["SINTERSTORE", "d", "s", "t"]],
  [["SMEMBERS", "d"], S],
  [["SUNIONSTORE", "d", "s", "t"]],
  [["SMEMBERS", "d"], S],
  [["SDIFFSTORE", "d", "s", "t"]],
  [["SMEMBERS", "d"], S],
  [["SET", "withttl", "x", "EX", 100]],
  [["SUNIONSTORE", "withttl", "s"]],
  [["TTL", "withttl"]],
  [["SINTERSTORE", "d", "s", "nokey"]],
  [["EXISTS", "d"]],
  [["SDIFFSTORE", "d", "s", "s"]],
  [["SUNIONSTORE", "d", "nokey"]],
  [["SMOVE", "s", "t", "a"]],
  [["SMOVE", "s", "t", "a"]],
  [["SMOVE", "s", "new", "b"]],
  [["SMOVE", "s", "s", "c"]],
  [["SMOVE", "s", "s", "zz"]],
  [["SMOVE", "nokey", "t", "a"]],
  [["SMEMBERS", "t"], S],
  [["SMEMBERS", "new"], S],
  [["SADD", "one", "m"]],
  [["SMOVE", "one", "t", "m"]],
  [["EXISTS", "one"]],
  [["SADD", "two", "m"]],
  [["SMOVE", "two", "t", "m"]],
  [["EXISTS", "two"]],
  [["SPOP", "nokey"]],
  [["SPOP", "nokey", 3]],
  [["SPOP", "s", 0]],
  [["SPOP", "s", -1]],
  [["SPOP", "s", "x"]],
  [["SPOP", "s", 1, 2]],
  [["SRANDMEMBER", "nokey"]],
  [["SRANDMEMBER", "nokey", 3]],
  [["SRANDMEMBER", "s", 0]],
  [["SRANDMEMBER", "s", 100], S],
  [["SRANDMEMBER", "s", "x"]],
  [["SRANDMEMBER", "s", 1, 2]],
  [["SRANDMEMBER", "s", "-9223372036854775808"]],
  [["SADD", "all", "p", "q", "r"]],
  [["SPOP", "all", 10], S],
  [["EXISTS", "all"]],
  [["SADD", "single", "only"]],
  [["SPOP", "single"]],
  [["EXISTS", "single"]],
  [["SSCAN", "s", 0]],
  [["SSCAN", "s", 0, "MATCH", "[a-c]"]],
  [["SSCAN", "s", 0, "COUNT", 0]],
  [["SSCAN", "s", 0, "COUNT", "x"]],
  [["SSCAN", "s", 0, "FOO", "x"]],
  [["SSCAN", "s", "x"]],
  [["SSCAN", "nokey", 0]],
  [["SSCAN", "nokey", 0, "COUNT", 0]],
  [["SET", "str", "v"]],
  [["SADD", "str", "a"]],
  [["SREM", "str", "a"]],
  [["SCARD", "str"]],
  [["SISMEMBER", "str", "a"]],
  [["SMISMEMBER", "str", "a"]],
  [["SMEMBERS", "str"]],
  [["SPOP", "str"]],
  [["SPOP", "str", 2]],
  [["SRANDMEMBER", "str"]],
  [["SRANDMEMBER", "str", 2]],
  [["SMOVE", "str", "s", "a"]],
  [["SMOVE", "s", "str", "a"]],
  [["SMOVE", "nokey", "str", "a"]],
  [["SINTER", "nokey", "str"]],
  [["SINTER", "s", "str"]],
  [["SUNION", "s", "str"]],
  [["SDIFF", "str", "s"]],
  [["SINTERCARD", 2, "nokey", "str"]],
  [["SINTERSTORE", "d", "nokey", "str"]],
  [["SUNIONSTORE", "str", "s"]],
  [["TYPE", "str"]],
  [["SSCAN", "str", 0]],
  [["SADD", "s"]],
];

describe("sets vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  it("answers every set command and error like Redis 7.0", async () => {
    await same(t, r, ["FLUSHALL"]);
    for (const [args, opts] of CASES) {
      // SSCAN pages are [cursor, [members]]: compare small sets' single page by its sorted members.
      if (args[0] === "SSCAN") {
        const [a, b] = await Promise.all([t.call(...args), r.call(...args)]);
        const norm = (v: unknown) =>
          Array.isArray(v)
            ? JSON.stringify([String(v[0]), (v[1] as Buffer[]).map(String).sort()])
            : String(v);
        if (norm(a) !== norm(b)) throw new Error(`${args.join(" ")}: ${norm(a)} vs ${norm(b)}`);
        continue;
      }
      await same(t, r, args, opts);
    }
  });

  it("answers in RESP3 like Redis 7.0 (set replies where Redis sends sets)", async () => {
    await same(t, r, ["FLUSHALL"]);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      for (const args of [
        ["SADD", "s", "a"],
        ["SMEMBERS", "s"],
        ["SMEMBERS", "nokey"],
        ["SPOP", "nokey", 2],
        ["SPOP", "s", 0],
        ["SRANDMEMBER", "s", 5],
        ["SRANDMEMBER", "s", -2],
        ["SRANDMEMBER", "nokey", 5],
        ["SINTER", "s", "nokey"],
        ["SINTER", "s"],
        ["SUNION", "s"],
        ["SDIFF", "s"],
        ["SMISMEMBER", "s", "a", "b"],
        ["SPOP", "nokey"],
        ["SPOP", "s", 5],
      ])
        await same(t, r, args);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  it("walks a large set with SSCAN cursors to the same members", async () => {
    await same(t, r, ["FLUSHALL"]);
    const args: string[] = ["SADD", "big"];
    for (let i = 0; i < 1000; i++) args.push(`m${i}`);
    await same(t, r, args);
    await same(t, r, ["SMEMBERS", "big"], S);
    for (const client of [t, r]) {
      const seen = new Set<string>();
      let cursor = "0";
      let rounds = 0;
      do {
        const reply = (await client.call("SSCAN", "big", cursor, "COUNT", 100)) as [Buffer, Buffer[]];
        cursor = reply[0].toString();
        for (const m of reply[1]) seen.add(m.toString());
        if (++rounds > 1000) throw new Error("SSCAN never finished");
      } while (cursor !== "0");
      if (seen.size !== 1000) throw new Error(`SSCAN saw ${seen.size} members`);
    }
  });

  it("matches Redis over 10,000 seeded random set commands", async () => {
    const seed = testSeed();
    await same(t, r, ["FLUSHALL"]);
    const keys = ["s0", "s1", "s2", "s3", "str"];
    // Few members, so every set stays below SSCAN's default COUNT and comes back in one page.
    const members = ["a", "b", "c", "1", "2", "-3", "07"];
    const gen = (rnd: () => number): RandomCommand | RandomCommand[] => {
      const k = pick(rnd, keys);
      const k2 = pick(rnd, keys);
      const k3 = pick(rnd, keys);
      const m = pick(rnd, members);
      switch (randInt(rnd, 0, 22)) {
        case 0:
        case 1:
        case 2:
          return { args: ["SADD", k, m, pick(rnd, members)] };
        case 3:
          return { args: ["SREM", k, m, pick(rnd, members)] };
        case 4:
          return { args: ["SISMEMBER", k, m] };
        case 5:
          return { args: ["SMISMEMBER", k, m, pick(rnd, members)] };
        case 6:
          return { args: ["SCARD", k] };
        case 7:
          return { args: ["SMEMBERS", k], mode: "sorted" };
        case 8:
          // Random removal: both servers then drop the key so their contents agree again.
          return [
            { args: rnd() < 0.5 ? ["SPOP", k] : ["SPOP", k, String(randInt(rnd, 0, 4))], mode: "shape" },
            { args: ["DEL", k] },
          ];
        case 9: {
          const count = randInt(rnd, -4, 8);
          return { args: ["SRANDMEMBER", k, String(count)], mode: count >= 7 ? "sorted" : "shape" };
        }
        case 10:
          return { args: ["SMOVE", k, k2, m] };
        case 11:
          return { args: ["SINTER", k, k2], mode: "sorted" };
        case 12:
          return { args: ["SINTERSTORE", k3, k, k2] };
        case 13: {
          const args = ["SINTERCARD", "2", k, k2];
          if (rnd() < 0.5) args.push("LIMIT", String(randInt(rnd, 0, 3)));
          return { args };
        }
        case 14:
          return { args: ["SUNION", k, k2, k3], mode: "sorted" };
        case 15:
          return { args: ["SUNIONSTORE", k3, k, k2] };
        case 16:
          return { args: ["SDIFF", k, k2, k3], mode: "sorted" };
        case 17:
          return { args: ["SDIFFSTORE", k3, k, k2] };
        case 18:
          return { args: ["SSCAN", k, "0", "MATCH", pick(rnd, ["*", "[a-c]", "-*", "z"])], mode: "scan" };
        case 19:
          return { args: ["SET", "str", m] };
        case 20:
          return { args: ["DEL", k] };
        case 21:
          return { args: ["TYPE", k] };
        default:
          return { args: ["EXISTS", k, k2] };
      }
    };
    try {
      await runRandomDiff(t, r, seed, 10_000, gen);
    } catch (err) {
      console.error(`sets random diff failed; replay with TEST_SEED=${seed}`);
      throw err;
    }
  });
});
