import { after, before, describe, it } from "node:test";
import { same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * The list family against Debian's redis-server 7.0: replies byte for byte, errors included, then a
 * seeded random run over a small key space. Blocking behaviour (waiting, waking, fairness) is in
 * test/integration/blocking-lists.test.ts; here only the non-blocking paths of the blocking commands.
 */

const CASES: (string | number)[][] = [
  ["RPUSH", "l", "a", "b", "c", "a", "b", "a"],
  ["LPUSH", "l", "x", "y"],
  ["LRANGE", "l", 0, -1],
  ["LRANGE", "l", -3, 100],
  ["LRANGE", "l", 5, 2],
  ["LRANGE", "l", -100, -50],
  ["LRANGE", "l", "x", 1],
  ["LRANGE", "nokey", 0, -1],
  ["LLEN", "l"],
  ["LLEN", "nokey"],
  ["LINDEX", "l", 0],
  ["LINDEX", "l", -1],
  ["LINDEX", "l", 100],
  ["LINDEX", "l", "x"],
  ["LINDEX", "nokey", "x"],
  ["LPOS", "l", "a"],
  ["LPOS", "l", "a", "RANK", 2],
  ["LPOS", "l", "a", "RANK", -1],
  ["LPOS", "l", "a", "RANK", -2, "COUNT", 0],
  ["LPOS", "l", "a", "COUNT", 2, "MAXLEN", 5],
  ["LPOS", "l", "a", "COUNT", 0, "MAXLEN", 1],
  ["LPOS", "l", "zz"],
  ["LPOS", "l", "zz", "COUNT", 1],
  ["LPOS", "nokey", "a"],
  ["LPOS", "nokey", "a", "COUNT", 3],
  ["LPOS", "l", "a", "RANK", 0],
  ["LPOS", "l", "a", "RANK", "x"],
  ["LPOS", "l", "a", "RANK", "-9223372036854775808"],
  ["LPOS", "l", "a", "COUNT", -1],
  ["LPOS", "l", "a", "COUNT", "x"],
  ["LPOS", "l", "a", "MAXLEN", -1],
  ["LPOS", "l", "a", "FOO", 1],
  ["LPOS", "l", "a", "COUNT"],
  ["LSET", "l", 0, "first"],
  ["LSET", "l", -1, "last"],
  ["LSET", "l", 100, "v"],
  ["LSET", "l", "x", "v"],
  ["LSET", "nokey", 0, "v"],
  ["LSET", "nokey", "x", "v"],
  ["LINSERT", "l", "BEFORE", "c", "ins"],
  ["LINSERT", "l", "after", "c", "ins2"],
  ["LINSERT", "l", "AFTER", "nope", "v"],
  ["LINSERT", "l", "MIDDLE", "c", "v"],
  ["LINSERT", "nokey", "BEFORE", "c", "v"],
  ["LRANGE", "l", 0, -1],
  ["LREM", "l", 1, "a"],
  ["LREM", "l", -1, "b"],
  ["LREM", "l", 0, "a"],
  ["LREM", "l", "x", "a"],
  ["LREM", "nokey", 0, "a"],
  ["LRANGE", "l", 0, -1],
  ["LTRIM", "l", 1, -2],
  ["LRANGE", "l", 0, -1],
  ["LTRIM", "l", "x", 1],
  ["LTRIM", "nokey", 0, 1],
  ["LTRIM", "l", 5, 1],
  ["EXISTS", "l"],
  ["RPUSH", "p", "1", "2", "3", "4", "5"],
  ["LPOP", "p"],
  ["RPOP", "p"],
  ["LPOP", "p", 2],
  ["RPOP", "p", 10],
  ["EXISTS", "p"],
  ["LPOP", "p"],
  ["LPOP", "p", 2],
  ["LPOP", "p", 0],
  ["LPOP", "p", -1],
  ["LPOP", "p", "x"],
  ["LPOP", "p", 1, 2],
  ["RPUSH", "p", "1"],
  ["LPOP", "p", 0],
  ["LPUSHX", "nokey", "a"],
  ["RPUSHX", "nokey", "a"],
  ["LPUSHX", "p", "a", "b"],
  ["RPUSHX", "p", "c"],
  ["LRANGE", "p", 0, -1],
  ["RPUSH", "m", "a", "b", "c"],
  ["LMOVE", "m", "n", "LEFT", "RIGHT"],
  ["LMOVE", "m", "n", "right", "left"],
  ["LMOVE", "m", "m", "LEFT", "RIGHT"],
  ["LMOVE", "m", "n", "UP", "LEFT"],
  ["LMOVE", "nokey", "n", "LEFT", "LEFT"],
  ["RPOPLPUSH", "m", "n"],
  ["RPOPLPUSH", "m", "n"],
  ["EXISTS", "m"],
  ["LRANGE", "n", 0, -1],
  ["RPOPLPUSH", "n", "n"],
  ["LRANGE", "n", 0, -1],
  ["SET", "s", "str"],
  ["LMOVE", "n", "s", "LEFT", "LEFT"],
  ["LRANGE", "n", 0, -1],
  ["LMOVE", "s", "n", "LEFT", "LEFT"],
  ["LPUSH", "s", "a"],
  ["LPUSHX", "s", "a"],
  ["LPOP", "s"],
  ["LPOP", "s", 0],
  ["LLEN", "s"],
  ["LRANGE", "s", 0, 1],
  ["LINDEX", "s", 0],
  ["LSET", "s", 0, "a"],
  ["LINSERT", "s", "BEFORE", "a", "b"],
  ["LREM", "s", 0, "a"],
  ["LTRIM", "s", 0, 1],
  ["LPOS", "s", "a"],
  ["RPUSH", "q1", "a", "b", "c"],
  ["RPUSH", "q2", "d"],
  ["LMPOP", 2, "nokey", "q1", "LEFT"],
  ["LMPOP", 2, "q1", "q2", "RIGHT", "COUNT", 10],
  ["LMPOP", 1, "nokey", "LEFT"],
  ["LMPOP", 2, "s", "q2", "LEFT"],
  ["LMPOP", 2, "q2", "s", "LEFT"],
  ["LMPOP", 0, "q2", "LEFT"],
  ["LMPOP", -1, "q2", "LEFT"],
  ["LMPOP", "x", "q2", "LEFT"],
  ["LMPOP", 5, "q2", "LEFT"],
  ["LMPOP", 1, "q2", "SIDEWAYS"],
  ["LMPOP", 1, "q2", "LEFT", "COUNT", 0],
  ["LMPOP", 1, "q2", "LEFT", "COUNT", "x"],
  ["LMPOP", 1, "q2", "LEFT", "COUNT", 1, "COUNT", 1],
  ["LMPOP", 1, "q2", "LEFT", "EXTRA"],
  ["RPUSH", "b1", "x", "y"],
  ["BLPOP", "nokey", "b1", 0],
  ["BRPOP", "b1", 0.5],
  ["BLPOP", "s", 0],
  ["BLPOP", "b1", "x"],
  ["BLPOP", "b1", -1],
  ["BLPOP", "b1", "inf"],
  ["BLPOP", "b1", "nan"],
  ["BLPOP", "b1", "1e400"],
  ["BLPOP", "b1", "9223372036854775807"],
  ["BLPOP", "b1", " 1"],
  ["RPUSH", "b1", "x", "y", "z"],
  ["BLMPOP", 0, 2, "nokey", "b1", "RIGHT", "COUNT", 2],
  ["BLMPOP", "x", 1, "b1", "LEFT"],
  ["BLMPOP", 0, 0, "b1", "LEFT"],
  ["BLMPOP", 0, 1, "b1", "UP"],
  ["BLMPOP", 0, 1, "s", "LEFT"],
  ["RPUSH", "b2", "1", "2"],
  ["BLMOVE", "b2", "b3", "LEFT", "LEFT", 0],
  ["BRPOPLPUSH", "b2", "b3", 0],
  ["BLMOVE", "b3", "b3", "RIGHT", "LEFT", 1],
  ["BLMOVE", "b3", "s", "LEFT", "LEFT", 0],
  ["BLMOVE", "b3", "b4", "NOWHERE", "LEFT", 0],
  ["BLMOVE", "b3", "b4", "LEFT", "LEFT", "x"],
  ["BLMOVE", "b3", "b4", "LEFT", "LEFT", -1],
  ["BRPOPLPUSH", "b3", "b4", -1],
  ["LRANGE", "b3", 0, -1],
  ["MULTI"],
  ["BLPOP", "empty", 0],
  ["BRPOP", "empty", 0],
  ["BLMPOP", 0, 1, "empty", "LEFT"],
  ["BLMOVE", "empty", "b4", "LEFT", "LEFT", 0],
  ["BRPOPLPUSH", "empty", "b4", 0],
  ["BLPOP", "b3", 0],
  ["EXEC"],
  ["LPUSH", "l"],
  ["LPOP"],
  ["LRANGE", "l", 0],
];

describe("lists vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  it("answers every list command and error like Redis 7.0", async () => {
    await same(t, r, ["FLUSHALL"]);
    for (const args of CASES) await same(t, r, args);
  });

  it("answers in RESP3 like Redis 7.0", async () => {
    await same(t, r, ["FLUSHALL"]);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      for (const args of [
        ["RPUSH", "l", "a"],
        ["LPOP", "nokey"],
        ["LPOP", "nokey", 2],
        ["LINDEX", "l", 5],
        ["LPOS", "l", "zz"],
        ["LMPOP", 1, "nokey", "LEFT"],
        ["LMOVE", "nokey", "x", "LEFT", "LEFT"],
        ["BLPOP", "l", 0],
        ["MULTI"],
        ["BLPOP", "l", 0],
        ["BLMOVE", "l", "x", "LEFT", "LEFT", 0],
        ["EXEC"],
      ])
        await same(t, r, args);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  it("matches Redis over 10,000 seeded random list commands", async () => {
    const seed = testSeed();
    await same(t, r, ["FLUSHALL"]);
    const keys = ["l0", "l1", "l2", "l3", "str"];
    const vals = ["a", "b", "c", "d", "e"];
    const end = ["LEFT", "RIGHT", "left", "Right"];
    const idx = (rnd: () => number) => String(randInt(rnd, -8, 8));
    const tx = (args: string[]): RandomCommand[] => [{ args: ["MULTI"] }, { args }, { args: ["EXEC"] }];
    const gen = (rnd: () => number): RandomCommand | RandomCommand[] => {
      const k = pick(rnd, keys);
      const k2 = pick(rnd, keys);
      const v = pick(rnd, vals);
      switch (randInt(rnd, 0, 24)) {
        case 0:
        case 1:
          return { args: ["LPUSH", k, v, pick(rnd, vals)] };
        case 2:
        case 3:
          return { args: ["RPUSH", k, v] };
        case 4:
          return { args: [pick(rnd, ["LPUSHX", "RPUSHX"]), k, v] };
        case 5:
          return { args: ["LPOP", k] };
        case 6:
          return { args: ["RPOP", k, String(randInt(rnd, -1, 4))] };
        case 7:
          return { args: ["LLEN", k] };
        case 8:
          return { args: ["LRANGE", k, idx(rnd), idx(rnd)] };
        case 9:
          return { args: ["LINDEX", k, idx(rnd)] };
        case 10:
          return { args: ["LSET", k, idx(rnd), v] };
        case 11:
          return { args: ["LINSERT", k, pick(rnd, ["BEFORE", "AFTER"]), v, pick(rnd, vals)] };
        case 12:
          return { args: ["LREM", k, String(randInt(rnd, -2, 2)), v] };
        case 13:
          return { args: ["LTRIM", k, idx(rnd), idx(rnd)] };
        case 14: {
          const args = ["LPOS", k, v];
          if (rnd() < 0.5) args.push("RANK", String(pick(rnd, [-2, -1, 1, 2, 3])));
          if (rnd() < 0.5) args.push("COUNT", String(randInt(rnd, 0, 3)));
          if (rnd() < 0.3) args.push("MAXLEN", String(randInt(rnd, 0, 5)));
          return { args };
        }
        case 15:
          return { args: ["LMOVE", k, k2, pick(rnd, end), pick(rnd, end)] };
        case 16:
          return { args: ["RPOPLPUSH", k, k2] };
        case 17: {
          const args = ["LMPOP", "2", k, k2, pick(rnd, end)];
          if (rnd() < 0.5) args.push("COUNT", String(randInt(rnd, 1, 4)));
          return { args };
        }
        // Blocking forms run inside MULTI, where they never block (an empty key answers nil at once):
        // that keeps the run fast while covering both their pop path and their "would block" path.
        case 18:
          return tx([pick(rnd, ["BLPOP", "BRPOP"]), k, k2, "0"]);
        case 19:
          return tx(["BLMOVE", k, k2, pick(rnd, end), pick(rnd, end), "0"]);
        case 20:
          return tx(["BLMPOP", "0", "1", k, pick(rnd, end), "COUNT", "2"]);
        case 21:
          return { args: ["SET", "str", v] };
        case 22:
          return { args: ["DEL", k] };
        case 23:
          return { args: ["TYPE", k] };
        default:
          return { args: ["EXISTS", k, k2] };
      }
    };
    try {
      await runRandomDiff(t, r, seed, 10_000, gen);
    } catch (err) {
      console.error(`lists random diff failed; replay with TEST_SEED=${seed}`);
      throw err;
    }
  });
});
