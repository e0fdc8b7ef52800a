import { after, before, describe, it } from "node:test";
import { sameSequence } from "../helpers/diff-sequence.js";
import { startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * LCS differentially against Debian's redis-server 7.0, beyond the fixed cases in strings-diff: seeded
 * random pairs of strings (small alphabets so matches are long and ranges many, binary bytes, empty and
 * missing keys, values over 1 KB edited in place by SETRANGE/SETBIT) with random LEN / IDX / MINMATCHLEN /
 * WITHMATCHLEN combinations, in RESP2 and RESP3. Replay a failure with TEST_SEED=<seed>.
 */

const COMMANDS = 3000;

describe("LCS vs redis-server (random)", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(async () => {
    await stopDiffPair({ tandem, redis, t, r });
  });

  for (const proto of [2, 3] as const) {
    it(`random strings and options, RESP${proto}`, async () => {
      const seed = testSeed() + proto;
      console.log(`# lcs random diff seed ${seed} (replay with TEST_SEED=${seed - proto})`);
      await Promise.all([t.raw("HELLO", proto), r.raw("HELLO", proto)]);
      await sameSequence(t, r, [["FLUSHALL"]]);
      const keys = ["a", "b", "c", "big1", "big2", "missing"];
      const gen = (rnd: () => number): RandomCommand | RandomCommand[] => {
        const str = (): string => {
          const alphabet = pick(rnd, ["ab", "acgt", "abcdefghij", "\0\x01\xff"]);
          const n = randInt(rnd, 0, 60);
          let s = "";
          for (let i = 0; i < n; i++) s += alphabet[randInt(rnd, 0, alphabet.length - 1)];
          return s;
        };
        const roll = rnd();
        if (roll < 0.2) return { args: ["SET", pick(rnd, ["a", "b", "c"]), str()] };
        if (roll < 0.25) {
          // Long values, edited in place: SETRANGE at up to 1.2 KB, over random "acgt" text.
          const k = pick(rnd, ["big1", "big2"]);
          return { args: ["SETRANGE", k, String(randInt(rnd, 0, 1200)), str()] };
        }
        if (roll < 0.27)
          return { args: ["SETBIT", pick(rnd, ["big1", "big2"]), String(randInt(rnd, 0, 9600)), "1"] };
        const opts: string[][] = [];
        const mode = rnd();
        if (mode < 0.25) opts.push(["LEN"]);
        else if (mode < 0.75) opts.push(["IDX"]);
        if (rnd() < 0.4) opts.push(["MINMATCHLEN", String(randInt(rnd, -2, 6))]);
        if (rnd() < 0.4) opts.push(["WITHMATCHLEN"]);
        if (rnd() < 0.03) opts.push([pick(rnd, ["LEN", "IDX", "BOGUS", "MINMATCHLEN"])]);
        // Shuffle the options: Redis accepts them in any order.
        for (let i = opts.length - 1; i > 0; i--) {
          const j = randInt(rnd, 0, i);
          [opts[i], opts[j]] = [opts[j], opts[i]];
        }
        return { args: ["LCS", pick(rnd, keys), pick(rnd, keys), ...opts.flat()] };
      };
      await runRandomDiff(t, r, seed, COMMANDS, gen, 100);
    });
  }
});
