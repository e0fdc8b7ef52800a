import { after, before, describe, it } from "node:test";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { seededRandom, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * Glob patterns against Debian's redis-server: random patterns and strings over a small alphabet rich in
 * pattern syntax (`*?[]^-\`, plus an upper-case letter and a byte above 0x7f for the signed-char ranges),
 * compared through every command that matches: KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PUBSUB CHANNELS and
 * PUBLISH (receiver counts for PSUBSCRIBE patterns). Each round rebuilds the keyspace from fresh random
 * strings. A failure prints the seed; replay it with TEST_SEED=<seed>.
 */

const ROUNDS = 25;
const PATTERNS_PER_ROUND = 120;
const STRINGS_PER_ROUND = 30;
/** Channels and patterns of the two subscriber connections (fixed for the run, drawn from the seed). */
const CHANNELS = 25;
const PSUB_PATTERNS = 25;

/** Mostly plain letters so that patterns match often; the rest is syntax. */
const STRING_ALPHABET = "aaabbbcA*?[]^-\\\xe9";
const PATTERN_ALPHABET = "aabbc**??[[]]^-\\\\A\xe9";

function randomText(rnd: () => number, alphabet: string, maxLen: number): string {
  const n = randInt(rnd, 0, maxLen);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(rnd, alphabet.split(""));
  return s;
}

/** A pattern: random syntax, or a random string with a few characters turned into wildcards. */
function randomPattern(rnd: () => number): string {
  if (rnd() < 0.6) return randomText(rnd, PATTERN_ALPHABET, 8);
  const s = randomText(rnd, STRING_ALPHABET, 6).split("");
  for (let i = 0; i < s.length; i++) {
    const r = rnd();
    if (r < 0.15) s[i] = "*";
    else if (r < 0.25) s[i] = "?";
    else if (r < 0.35) s[i] = `[${s[i]}-${pick(rnd, ["a", "c", "\xe9", "A", "]"])}]`;
    else if (r < 0.4) s[i] = `[^${s[i]}]`;
  }
  return s.join("");
}

function distinct(rnd: () => number, n: number, maxLen: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(randomText(rnd, STRING_ALPHABET, maxLen));
  return [...out];
}

describe("glob patterns: seeded random differential against redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;
  let tSub: RawClient;
  let rSub: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
    [tSub, rSub] = await Promise.all([tandem.client(), redis.client()]);
  });
  after(async () => {
    tSub?.close();
    rSub?.close();
    await stopDiffPair({ tandem, redis, t, r });
  });

  it(`${ROUNDS} rounds of ${PATTERNS_PER_ROUND} random patterns give the same matches`, async () => {
    const seed = testSeed();
    const setup = seededRandom(seed ^ 0x5a5a5a5a);
    // One subscriber per server: the same channels (the empty one included) and patterns on both.
    const channels = ["", ...distinct(setup, CHANNELS - 1, 5)];
    const patterns = [
      ...new Set(["*", "", ...Array.from({ length: PSUB_PATTERNS - 2 }, () => randomPattern(setup))]),
    ];
    const subscribe = encodeCommand(["SUBSCRIBE", ...channels]);
    const psubscribe = encodeCommand(["PSUBSCRIBE", ...patterns]);
    await Promise.all([tSub.sendRaw(subscribe, channels.length), rSub.sendRaw(subscribe, channels.length)]);
    await Promise.all([tSub.sendRaw(psubscribe, patterns.length), rSub.sendRaw(psubscribe, patterns.length)]);

    let produced = 0;
    const gen = (rnd: () => number): RandomCommand[] => {
      const round: RandomCommand[] = [];
      if (produced++ % PATTERNS_PER_ROUND === 0) {
        // A fresh keyspace: string keys (the empty key too), and a hash, set and zset of random members.
        const keys = distinct(rnd, STRINGS_PER_ROUND, 6);
        const members = distinct(rnd, STRINGS_PER_ROUND, 6);
        round.push(
          { args: ["FLUSHALL"] },
          { args: ["MSET", ...keys.flatMap((k) => [k, "1"])] },
          { args: ["HSET", "\x01hash", ...members.flatMap((m) => [m, "v"])] },
          { args: ["SADD", "\x01set", ...members] },
          { args: ["ZADD", "\x01zset", ...members.flatMap((m, i) => [String(i), m])] },
        );
      }
      const p = randomPattern(rnd);
      round.push(
        { args: ["KEYS", p], mode: "sorted" },
        { args: ["SCAN", "0", "MATCH", p, "COUNT", "1000"], mode: "scan" },
        { args: ["HSCAN", "\x01hash", "0", "MATCH", p, "COUNT", "1000"], mode: "scan" },
        { args: ["SSCAN", "\x01set", "0", "MATCH", p, "COUNT", "1000"], mode: "scan" },
        { args: ["ZSCAN", "\x01zset", "0", "MATCH", p, "COUNT", "1000"], mode: "scan" },
        { args: ["PUBSUB", "CHANNELS", p], mode: "sorted" },
        // The receivers: subscribers of the channel plus every PSUBSCRIBE pattern that matches it.
        { args: ["PUBLISH", randomText(rnd, STRING_ALPHABET, 6), "m"] },
      );
      return round;
    };
    // Per round: 5 commands of set-up, then 7 per pattern.
    await runRandomDiff(t, r, seed, ROUNDS * (5 + PATTERNS_PER_ROUND * 7), gen);
  });
});
