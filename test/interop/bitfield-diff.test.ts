import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { pick, type RandomCommand, randInt, runRandomDiff, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * BITFIELD / BITFIELD_RO and the bit commands they live with, differentially against Debian's
 * redis-server 7.0: argument errors in Redis's order, overflow semantics at every width (64-bit edges
 * included), `#N` offsets, RESP3 nulls, then a seeded random run of 12,000 commands mixing BITFIELD with
 * SETBIT/GETBIT/BITCOUNT/BITPOS/SETRANGE/APPEND/GETRANGE over values short and long (the long ones are
 * edited in place as bytes in Tandem, the short ones as strings), ending with a byte-exact GET of every
 * key. Replay a failure with TEST_SEED=<seed>.
 */

const RANDOM_COMMANDS = 12_000;

describe("BITFIELD and bit commands vs redis-server", { skip: NO_REDIS }, () => {
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

  async function run(cmds: Cmd[]): Promise<void> {
    await sameSequence(t, r, [["FLUSHALL"], ...cmds]);
  }

  /** Switches both connections' protocol (HELLO's reply carries each server's own client id). */
  async function protocol(n: 2 | 3): Promise<void> {
    await Promise.all([t.raw("HELLO", n), r.raw("HELLO", n)]);
  }

  it("argument errors, in Redis's order", async () => {
    await run([
      ["SET", "str", "hello"],
      ["LPUSH", "list", "a"],
      ["BITFIELD", "k"],
      ["BITFIELD_RO", "k"],
      ["EXISTS", "k"],
      ["BITFIELD", "k", "GET"],
      ["BITFIELD", "k", "GET", "u8"],
      ["BITFIELD", "k", "SET", "u8", "0"],
      ["BITFIELD", "k", "INCRBY", "u8", "0"],
      ["BITFIELD", "k", "OVERFLOW"],
      ["BITFIELD", "k", "OVERFLOW", "bogus", "GET", "u8", "0"],
      ["BITFIELD", "k", "FOO", "u8", "0"],
      ...[
        "u64",
        "i65",
        "i0",
        "u0",
        "x8",
        "i",
        "u",
        "",
        "u08",
        "i-1",
        "I8",
        "U8",
        "i 8",
        "i8 ",
        "i+8",
        "u9223372036854775808",
      ].map((ty): Cmd => ["BITFIELD", "k", "GET", ty, "0"]),
      ["BITFIELD", "k", "GET", "i64", "0", "GET", "u63", "0", "GET", "i1", "0", "GET", "u1", "0"],
      ...[
        "-1",
        "#-1",
        "abc",
        "#",
        "##1",
        "1.5",
        " 1",
        "01",
        "4294967296",
        "#536870912",
        "#9223372036854775807",
      ].map((off): Cmd => ["BITFIELD", "k", "GET", "u8", off]),
      ["BITFIELD", "k", "GET", "u8", "4294967295"],
      ["BITFIELD", "k", "GET", "u8", "#536870911"],
      ["BITFIELD", "k", "GET", "u1", "#4294967295"],
      ["BITFIELD", "k", "SET", "u8", "0", "x"],
      ["BITFIELD", "k", "SET", "u8", "0", "9223372036854775808"],
      ["BITFIELD", "k", "INCRBY", "u8", "0", "1.0"],
      // Parsing stops at the first bad argument, even after good ones.
      ["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "x8", "0"],
      ["EXISTS", "k"],
      ["BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "wrap", "BOGUS"],
      ["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
      ["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
      ["BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"],
      ["BITFIELD_RO", "k", "SET", "x8", "0", "1"],
      ["BITFIELD_RO", "k", "OVERFLOW", "FAIL"],
      ["BITFIELD_RO", "list", "GET", "u8", "0"],
      ["BITFIELD_RO", "list", "SET", "u8", "0", "1"],
      ["BITFIELD", "list", "GET", "u8", "0"],
      ["BITFIELD", "list", "SET", "u8", "0", "1"],
      ["BITFIELD", "list", "SET", "x8", "0", "1"],
      [
        "BITFIELD",
        "str",
        "GET",
        "u8",
        "0",
        "GET",
        "i16",
        "4",
        "GET",
        "u63",
        "1",
        "GET",
        "i64",
        "#0",
        "GET",
        "u4",
        "#9",
      ],
      ["BITFIELD_RO", "str", "GET", "i8", "0", "GET", "u2", "#3", "GET", "i40", "1"],
      ["BITFIELD", "k"],
      [
        "BITFIELD",
        "k",
        "get",
        "u8",
        "0",
        "overflow",
        "sat",
        "incrby",
        "i8",
        "0",
        "1000",
        "Set",
        "u4",
        "#1",
        "3",
      ],
      ["GET", "k"],
    ]);
  });

  it("overflow semantics at every width and the 64-bit edges", async () => {
    const cmds: Cmd[] = [];
    const edge = [
      "0",
      "1",
      "-1",
      "2",
      "-2",
      "127",
      "128",
      "-128",
      "-129",
      "255",
      "256",
      "32767",
      "-32768",
      "65535",
      "2147483647",
      "-2147483648",
      "4294967295",
      "4294967296",
      "4503599627370496",
      "-4503599627370496",
      "4503599627370497",
      "9007199254740993",
      "4611686018427387904",
      "-4611686018427387904",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775806",
      "-9223372036854775807",
    ];
    for (const ow of ["WRAP", "SAT", "FAIL"]) {
      for (const bits of [1, 2, 7, 8, 15, 16, 31, 32, 33, 52, 53, 62, 63, 64]) {
        for (const sign of ["i", "u"]) {
          if (sign === "u" && bits === 64) continue;
          const ty = `${sign}${bits}`;
          for (const v of edge) {
            cmds.push(["BITFIELD", "k", "OVERFLOW", ow, "SET", ty, "3", v, "GET", ty, "3"]);
            for (const inc of [
              "1",
              "-1",
              "3",
              "-3",
              edge[Math.floor(edge.length / 2)],
              "9223372036854775807",
              "-9223372036854775808",
            ]) {
              cmds.push([
                "BITFIELD",
                "k",
                "OVERFLOW",
                ow,
                "SET",
                ty,
                "3",
                v,
                "INCRBY",
                ty,
                "3",
                inc,
                "GET",
                ty,
                "3",
              ]);
            }
          }
        }
      }
    }
    cmds.push(["GET", "k"]);
    await run(cmds);
  });

  it("key creation, growth and the RESP3 null of OVERFLOW FAIL", async () => {
    await protocol(3);
    await run([
      ["BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5"],
      ["EXISTS", "new"],
      ["STRLEN", "new"],
      ["BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "#100", "5", "GET", "u2", "#100"],
      ["STRLEN", "new"],
      ["BITFIELD", "new", "SET", "i8", "#0", "-1", "OVERFLOW", "FAIL", "INCRBY", "i8", "#0", "-128"],
      ["GET", "new"],
      ["BITFIELD_RO", "nosuch", "GET", "i64", "0"],
      ["EXISTS", "nosuch"],
    ]);
    await protocol(2);
    await sameSequence(t, r, [["BITFIELD", "new", "OVERFLOW", "FAIL", "SET", "u1", "0", "2"]]);
  });

  it(`a seeded random run of ${RANDOM_COMMANDS} commands`, async () => {
    const seed = testSeed();
    console.log(`# bitfield random diff seed ${seed} (replay with TEST_SEED=${seed})`);
    await sameSequence(t, r, [["FLUSHALL"]]);
    const keys = ["a", "b", "c", "big"];
    // Offsets reach past MUTABLE_STRING_MIN bytes on "big" only, so both representations are exercised.
    const maxBit = (k: string) => (k === "big" ? 24_000 : 200);
    const edge = [
      "0",
      "1",
      "-1",
      "127",
      "-128",
      "255",
      "65535",
      "2147483647",
      "-2147483648",
      "4294967296",
      "4503599627370497",
      "9223372036854775807",
      "-9223372036854775808",
    ];
    const gen = (rnd: () => number): RandomCommand | RandomCommand[] => {
      const key = pick(rnd, keys);
      const value = (): string => {
        const roll = rnd();
        if (roll < 0.3) return pick(rnd, edge);
        if (roll < 0.6) return String(randInt(rnd, -300, 300));
        // A random 64-bit value.
        const hi = BigInt(randInt(rnd, 0, 2 ** 31 - 1)) * (rnd() < 0.5 ? -1n : 1n);
        return String(BigInt.asIntN(64, (hi << 32n) | BigInt(randInt(rnd, 0, 2 ** 32 - 1))));
      };
      const type = (): string => {
        const signed = rnd() < 0.5;
        const bits = rnd() < 0.5 ? randInt(rnd, 1, 16) : randInt(rnd, 1, signed ? 64 : 63);
        return `${signed ? "i" : "u"}${bits}`;
      };
      const offset = (ty: string): string => {
        if (rnd() < 0.3) return `#${randInt(rnd, 0, Math.floor(maxBit(key) / Number(ty.slice(1))))}`;
        return String(randInt(rnd, 0, maxBit(key)));
      };
      const subops = (readonly: boolean): string[] => {
        const out: string[] = [];
        const n = randInt(rnd, 1, 4);
        for (let i = 0; i < n; i++) {
          const roll = rnd();
          const ty = type();
          if (!readonly && roll < 0.15)
            out.push("OVERFLOW", pick(rnd, ["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"]));
          if (readonly || roll < 0.4) out.push("GET", ty, offset(ty));
          else if (roll < 0.7) out.push("SET", ty, offset(ty), value());
          else out.push("INCRBY", ty, offset(ty), value());
        }
        return out;
      };
      const roll = rnd();
      const bit = () => String(randInt(rnd, 0, maxBit(key)));
      const idx = () => String(randInt(rnd, -40, 40));
      if (roll < 0.45) return { args: ["BITFIELD", key, ...subops(false)] };
      if (roll < 0.55) return { args: ["BITFIELD_RO", key, ...subops(true)] };
      if (roll < 0.62) return { args: ["SETBIT", key, bit(), pick(rnd, ["0", "1"])] };
      if (roll < 0.67) return { args: ["GETBIT", key, bit()] };
      if (roll < 0.72) return { args: ["BITCOUNT", key, idx(), idx(), pick(rnd, ["BIT", "BYTE"])] };
      if (roll < 0.77)
        return { args: ["BITPOS", key, pick(rnd, ["0", "1"]), idx(), idx(), pick(rnd, ["BIT", "BYTE"])] };
      if (roll < 0.8) return { args: ["BITPOS", key, pick(rnd, ["0", "1"]), idx()] };
      if (roll < 0.83) return { args: ["BITCOUNT", key] };
      if (roll < 0.86) return { args: ["SETRANGE", key, String(randInt(rnd, 0, maxBit(key) / 8)), value()] };
      if (roll < 0.89) return { args: ["APPEND", key, value()] };
      if (roll < 0.92) return { args: ["GETRANGE", key, idx(), idx()] };
      if (roll < 0.95) return { args: ["STRLEN", key] };
      if (roll < 0.97) return { args: ["GET", key] };
      if (roll < 0.98) return { args: ["DEL", key] };
      return { args: ["BITOP", pick(rnd, ["AND", "OR", "XOR"]), pick(rnd, keys), key, pick(rnd, keys)] };
    };
    await runRandomDiff(t, r, seed, RANDOM_COMMANDS, gen);
    for (const k of keys) {
      const [a, b] = await Promise.all([t.raw("GET", k), r.raw("GET", k)]);
      assert.equal(a.toString("latin1"), b.toString("latin1"), `final value of ${k} (seed ${seed})`);
    }
  });
});
