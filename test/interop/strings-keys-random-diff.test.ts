import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import { seededRandom, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * A seeded random walk over the string and keyspace families: 12,000 commands over 20 keys in two
 * databases, sent to Tandem and redis-server alike, every reply compared. Time-dependent replies (TTL,
 * PTTL, RANDOMKEY) are compared by shape only, and relative expiries are never raced against each other
 * (GT/LT only with absolute times), so any difference is a real one. A failure prints the seed; rerun
 * it with TANDEM_SEED=<seed>.
 */

type Cmd = (string | number)[];
/** "near": integers equal within NEAR_MS (relative expiries are stamped at slightly different instants). */
type Mode = "exact" | "sorted" | "shape" | "near";

const COMMANDS = 12_000;
const BATCH = 250;
const KEYS = 20;
/** Absolute expiry times far in the future (2100-01-01 plus a spread), compared exactly via EXPIRETIME. */
const FAR = 4102444800;

function generator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const key = () => `k${int(0, KEYS - 1)}`;
  const bytes = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(int(0, 255));
    return s;
  };
  const value = (): string | number =>
    pick([
      () => int(-100, 100),
      () => pick(["0", "-0", "007", " 1", "1.5", "-2.25", "1e3", "0x10", "9223372036854775807"]),
      () => pick(["", "a", "hello", "foobar", "abcabcabc"]),
      () => bytes(int(1, 12)),
      () => (rand() * 1000 - 500).toFixed(int(0, 6)),
    ])();
  const range = () => int(-20, 20);
  const absSeconds = () => FAR + int(0, 20) * 1000;

  const gens: (() => [Cmd, Mode])[] = [
    () => [["GET", key()], "exact"],
    () => [["SET", key(), value()], "exact"],
    () => [
      ["SET", key(), value(), ...pick([["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["NX", "GET"], ["XX", "GET"]])],
      "exact",
    ],
    () => [["SET", key(), value(), "EX", int(1000, 5000)], "exact"],
    () => [["SET", key(), value(), "EXAT", absSeconds(), pick(["GET", "XX", "NX"])], "exact"],
    () => [["SETNX", key(), value()], "exact"],
    () => [["SETEX", key(), pick([int(1000, 9000), 0, -1, "x"]), value()], "exact"],
    () => [["PSETEX", key(), pick([int(1_000_000, 9_000_000), 0]), value()], "exact"],
    () => [["MSET", key(), value(), key(), value()], "exact"],
    () => [["MSETNX", key(), value(), key(), value()], "exact"],
    () => [["MGET", key(), key(), key()], "exact"],
    () => [["GETSET", key(), value()], "exact"],
    () => [["GETDEL", key()], "exact"],
    () => [
      [
        "GETEX",
        key(),
        ...pick([[], ["PERSIST"], ["EXAT", absSeconds()], ["EX", int(1000, 5000)], ["PXAT", 5]]),
      ],
      "exact",
    ],
    () => [["APPEND", key(), value()], "exact"],
    () => [["STRLEN", key()], "exact"],
    () => [["INCR", key()], "exact"],
    () => [["DECR", key()], "exact"],
    () => [
      ["INCRBY", key(), pick([int(-1000, 1000), "9223372036854775807", "-9223372036854775808", "x"])],
      "exact",
    ],
    () => [["DECRBY", key(), int(-1000, 1000)], "exact"],
    () => [
      ["INCRBYFLOAT", key(), pick([(rand() * 100 - 50).toFixed(int(0, 8)), "1e3", "-0.1", "x", "5e-7"])],
      "exact",
    ],
    () => [["GETRANGE", key(), range(), range()], "exact"],
    () => [["SETRANGE", key(), int(0, 30), pick(["", "x", "hello", bytes(3)])], "exact"],
    () => [["SETBIT", key(), int(0, 160), int(0, 1)], "exact"],
    () => [["GETBIT", key(), int(0, 160)], "exact"],
    () => [
      [
        "BITCOUNT",
        key(),
        ...pick([[], [range(), range()], [range() * 4, range() * 4, "BIT"], [range(), range(), "BYTE"]]),
      ],
      "exact",
    ],
    () => [
      [
        "BITPOS",
        key(),
        int(0, 1),
        ...pick([[], [range()], [range(), range()], [range() * 4, range() * 4, "BIT"]]),
      ],
      "exact",
    ],
    () => [["BITOP", pick(["AND", "OR", "XOR"]), key(), key(), key()], "exact"],
    () => [["BITOP", "NOT", key(), key()], "exact"],
    () => [
      ["LCS", key(), key(), ...pick([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN", "MINMATCHLEN", 2]])],
      "exact",
    ],
    () => [["ZADD", key(), int(0, 5), pick(["m1", "m2"])], "exact"],
    () => [["DEL", key(), key()], "exact"],
    () => [["UNLINK", key()], "exact"],
    () => [["EXISTS", key(), key(), key()], "exact"],
    () => [["TYPE", key()], "exact"],
    () => [["TOUCH", key(), key()], "exact"],
    () => [["RENAME", key(), key()], "exact"],
    () => [["RENAMENX", key(), key()], "exact"],
    () => [["MOVE", key(), 1], "exact"],
    () => [["COPY", key(), key(), ...pick([[], ["REPLACE"], ["DB", 1], ["DB", 1, "REPLACE"]])], "exact"],
    () => [["SWAPDB", 0, 1], "exact"],
    () => [["KEYS", pick(["*", "k1*", "k?", "k[1-3]"])], "sorted"],
    () => [["DBSIZE"], "exact"],
    () => [["EXPIRE", key(), pick([int(1000, 9000), -1, 0]), ...pick([[], ["NX"], ["XX"]])], "exact"],
    () => [["PEXPIRE", key(), pick([int(1_000_000, 9_000_000), -5]), ...pick([[], ["NX"], ["XX"]])], "exact"],
    () => [
      [
        "EXPIREAT",
        key(),
        pick([absSeconds(), 1]),
        ...pick([[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"]]),
      ],
      "exact",
    ],
    () => [["PEXPIREAT", key(), absSeconds() * 1000 + int(0, 999), ...pick([[], ["GT"], ["LT"]])], "exact"],
    () => [["EXPIRETIME", key()], "near"],
    () => [["PEXPIRETIME", key()], "near"],
    () => [["PERSIST", key()], "exact"],
    () => [["TTL", key()], "shape"],
    () => [["PTTL", key()], "shape"],
    () => [["RANDOMKEY"], "shape"],
  ];
  return () => pick(gens)();
}

/** Shape comparison for time- or chance-dependent replies: the type, and for integers their sign class. */
function shape(frame: Buffer): string {
  const v = RespDecoder.decodeAll(frame)[0];
  if (typeof v === "number" || typeof v === "bigint") return v < 0 ? `int:${v}` : "int:>=0";
  if (v === null) return "null";
  if (v instanceof Buffer) return "bulk";
  return frame.toString("latin1");
}

/**
 * Generous on purpose: on a loaded machine the two servers may run the same batch seconds apart. Real
 * bugs are far coarser (seconds taken as ms, a lost or spurious TTL: -1 vs a time).
 */
const NEAR_MS = 60_000;

/** Both replies are integers no further apart than NEAR_MS (and equal when negative: -1, -2). */
function near(a: Buffer, b: Buffer): boolean {
  const x = RespDecoder.decodeAll(a)[0];
  const y = RespDecoder.decodeAll(b)[0];
  if (typeof x !== "number" || typeof y !== "number") return a.equals(b);
  if (x < 0 || y < 0) return x === y;
  return Math.abs(x - y) <= NEAR_MS;
}

function sortedText(frame: Buffer): string {
  const v = RespDecoder.decodeAll(frame)[0];
  if (!Array.isArray(v)) return frame.toString("latin1");
  return (v as RespValue[])
    .map((x) => (x instanceof Buffer ? x.toString("latin1") : String(x)))
    .sort()
    .join("\n");
}

describe("strings and keys: seeded random differential", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  it(`${COMMANDS} random string/key commands give the same replies`, async () => {
    const seed = process.env.TANDEM_SEED ? Number(process.env.TANDEM_SEED) : Date.now() % 1_000_000_007;
    const next = generator(seededRandom(seed));
    await Promise.all([t.raw("FLUSHALL"), r.raw("FLUSHALL")]);
    const history: Cmd[] = [];
    for (let done = 0; done < COMMANDS; done += BATCH) {
      const batch: [Cmd, Mode][] = [];
      for (let i = 0; i < BATCH; i++) batch.push(next());
      const cmds = batch.map(([c]) => c);
      const [a, b] = await Promise.all([t.pipeline(cmds), r.pipeline(cmds)]);
      for (let i = 0; i < batch.length; i++) {
        history.push(cmds[i]);
        const mode = batch[i][1];
        if (mode === "near" && near(a[i], b[i])) continue;
        const ta =
          mode === "shape" ? shape(a[i]) : mode === "sorted" ? sortedText(a[i]) : a[i].toString("latin1");
        const rb =
          mode === "shape" ? shape(b[i]) : mode === "sorted" ? sortedText(b[i]) : b[i].toString("latin1");
        if (ta !== rb) {
          const context = history
            .slice(-15)
            .map((c) => `  ${JSON.stringify(c)}`)
            .join("\n");
          assert.fail(
            `seed ${seed} (rerun with TANDEM_SEED=${seed}), command #${done + i} ${JSON.stringify(cmds[i])}\n` +
              `  tandem: ${JSON.stringify(a[i].toString("latin1"))}\n   redis: ${JSON.stringify(b[i].toString("latin1"))}\n` +
              `last commands:\n${context}`,
          );
        }
      }
    }
    // Finally the whole dataset of both databases must agree, value by value.
    for (const db of [0, 1]) {
      const cmds: Cmd[] = [["SELECT", db]];
      for (let i = 0; i < KEYS; i++) {
        cmds.push(["TYPE", `k${i}`], ["GETRANGE", `k${i}`, 0, -1], ["ZRANGE", `k${i}`, 0, -1, "WITHSCORES"]);
      }
      const [a, b] = await Promise.all([t.pipeline(cmds), r.pipeline(cmds)]);
      assert.deepEqual(
        a.map((x) => x.toString("latin1")),
        b.map((x) => x.toString("latin1")),
        `final dataset of db ${db} differs (seed ${seed})`,
      );
      const ttls: Cmd[] = [];
      for (let i = 0; i < KEYS; i++) ttls.push(["PEXPIRETIME", `k${i}`]);
      const [ta, tb] = await Promise.all([t.pipeline(ttls), r.pipeline(ttls)]);
      for (let i = 0; i < KEYS; i++)
        assert.ok(near(ta[i], tb[i]), `PEXPIRETIME k${i} in db ${db} (seed ${seed})`);
    }
    await Promise.all([t.raw("SELECT", 0), r.raw("SELECT", 0)]);
  });
});
