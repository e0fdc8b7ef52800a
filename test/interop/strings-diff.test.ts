import { after, before, describe, it } from "node:test";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * The string family, differentially against Debian's redis-server 7.0: every command with its options,
 * edge cases and error texts, raw reply bytes compared. Binary values use every byte 0..255.
 */

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");

describe("strings vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([
      startTandem({ args: ["--proto-max-bulk-len", "2mb"] }),
      startRedis({ args: ["--proto-max-bulk-len", "2mb"] }),
    ]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });

  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  async function run(cmds: Cmd[]): Promise<void> {
    await sameSequence(t, r, [["FLUSHALL"], ...cmds]);
  }

  it("SET options, their conflicts and expire errors", async () => {
    await run([
      ["SET", "k", "v"],
      ["SET", "k", "v2", "NX"],
      ["SET", "k", "v3", "XX"],
      ["SET", "nokey", "v", "XX"],
      ["SET", "k", "v4", "GET"],
      ["SET", "k", "v5", "NX", "GET"],
      ["SET", "nokey", "v", "XX", "GET"],
      ["SET", "k", "v", "NX", "XX"],
      ["SET", "k", "v", "XX", "NX"],
      ["SET", "k", "v", "NX", "NX"],
      ["SET", "k", "v", "GET", "GET"],
      ["SET", "k", "v", "EX", 100, "EX", 200],
      ["TTL", "k"],
      ["SET", "k", "v", "EX", 100, "PX", 200],
      ["SET", "k", "v", "EX", 100, "KEEPTTL"],
      ["SET", "k", "v", "KEEPTTL", "EX", 100],
      ["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
      ["TTL", "k"],
      ["SET", "k", "v", "EX"],
      ["SET", "k", "v", "EX", "abc"],
      ["SET", "k", "v", "EX", 0],
      ["SET", "k", "v", "EX", -5],
      ["SET", "k", "v", "PX", 0],
      ["SET", "k", "v", "EXAT", 0],
      ["SET", "k", "v", "EX", "9223372036854775807"],
      ["SET", "k", "v", "EX", "9223372036854775"],
      ["SET", "k", "v", "PX", "9223372036854775807"],
      ["SET", "k", "v", "PXAT", "9223372036854775807"],
      ["SET", "k", "v", "EX", "9223372036854775808"],
      ["SET", "k", "v", "EX", "1.5"],
      ["SET", "k", "v", "BOGUS"],
      ["SET", "k", "v", "PERSIST"],
      ["SET", "k", "v", "PX", 100000],
      ["TTL", "k"],
      ["SET", "k", "v", "KEEPTTL"],
      ["TTL", "k"],
      ["SET", "k", "v"],
      ["TTL", "k"],
      ["SET", "k", "v", "EXAT", 4102444800],
      ["EXPIRETIME", "k"],
      ["SET", "k", "v", "PXAT", 4102444800123],
      ["PEXPIRETIME", "k"],
      ["SET", "k", "v", "EXAT", 1000],
      ["EXISTS", "k"],
      ["ZADD", "list", 1, "a"],
      ["SET", "list", "x", "GET"],
      ["SET", "list", "x", "NX", "GET"],
      ["SET", "list", "x"],
      ["TYPE", "list"],
      ["SET", "bin", BINARY],
      ["GET", "bin"],
      ["SET"],
      ["SET", "k"],
      ["GET", "k", "extra"],
    ]);
  });

  it("SETNX, SETEX, PSETEX, MSETNX, GETSET, GETDEL", async () => {
    await run([
      ["SETNX", "a", 1],
      ["SETNX", "a", 2],
      ["GET", "a"],
      ["SETEX", "b", 100, "v"],
      ["TTL", "b"],
      ["SETEX", "b", 0, "v"],
      ["SETEX", "b", -1, "v"],
      ["SETEX", "b", "x", "v"],
      ["SETEX", "b", "9223372036854775807", "v"],
      ["PSETEX", "c", 100000, "v"],
      ["TTL", "c"],
      ["PSETEX", "c", 0, "v"],
      ["PSETEX", "c", "9223372036854775807", "v"],
      ["MSETNX", "d", 1, "e", 2],
      ["MSETNX", "e", 3, "f", 4],
      ["MGET", "d", "e", "f", "nosuch"],
      ["MSETNX", "d", 1, "e"],
      ["MSET", "d", 1, "e"],
      ["MSET", "d", 10, "e", 20, "d", 30],
      ["MGET", "d", "e"],
      ["GETSET", "d", "new"],
      ["GETSET", "nosuch", "v"],
      ["GET", "nosuch"],
      ["EXPIRE", "d", 100],
      ["GETSET", "d", "x"],
      ["TTL", "d"],
      ["GETDEL", "d"],
      ["GETDEL", "d"],
      ["EXISTS", "d"],
      ["ZADD", "l", 1, "x"],
      ["GETSET", "l", "x"],
      ["GETDEL", "l"],
      ["SETNX", "l", "x"],
      ["MGET", "l", "a"],
      ["MSETNX", "l", "x"],
    ]);
  });

  it("GETEX with EX/PX/EXAT/PXAT/PERSIST", async () => {
    await run([
      ["SET", "k", "v"],
      ["GETEX", "k"],
      ["GETEX", "nosuch"],
      ["GETEX", "nosuch", "EX", 10],
      ["GETEX", "k", "EX", 100],
      ["TTL", "k"],
      ["GETEX", "k", "PX", 200000],
      ["TTL", "k"],
      ["GETEX", "k", "EXAT", 4102444800],
      ["EXPIRETIME", "k"],
      ["GETEX", "k", "PXAT", 4102444800999],
      ["PEXPIRETIME", "k"],
      ["GETEX", "k", "PERSIST"],
      ["TTL", "k"],
      ["GETEX", "k", "PERSIST"],
      ["GETEX", "k", "EX", 0],
      ["GETEX", "k", "EX", "x"],
      ["GETEX", "k", "EX"],
      ["GETEX", "k", "EX", 10, "PX", 100],
      ["GETEX", "k", "EX", 10, "EX", 20],
      ["GETEX", "k", "PERSIST", "EX", 10],
      ["GETEX", "k", "EX", 10, "PERSIST"],
      ["GETEX", "k", "KEEPTTL"],
      ["GETEX", "k", "NX"],
      ["GETEX", "k", "GET"],
      ["GETEX", "k", "EXAT", 1000],
      ["EXISTS", "k"],
      ["ZADD", "s", 1, "m"],
      ["GETEX", "s"],
      ["GETEX", "s", "EX", "x"],
      ["GETEX", "nosuch", "EX", "x"],
      ["GETEX", "s", "BOGUS"],
    ]);
  });

  it("INCR family with overflow and non-integers", async () => {
    await run([
      ["INCR", "n"],
      ["INCRBY", "n", 10],
      ["DECR", "n"],
      ["DECRBY", "n", 5],
      ["DECRBY", "n", "-9223372036854775808"],
      ["INCRBY", "n", "9223372036854775807"],
      ["SET", "n", "9223372036854775807"],
      ["INCR", "n"],
      ["SET", "n", "-9223372036854775808"],
      ["DECR", "n"],
      ["INCRBY", "n", "-1"],
      ["INCRBY", "n", "9223372036854775807"],
      ["SET", "n", "9007199254740993"],
      ["INCR", "n"],
      ["INCRBY", "n", "9007199254740993"],
      ["SET", "n", " 1"],
      ["INCR", "n"],
      ["SET", "n", "01"],
      ["INCR", "n"],
      ["SET", "n", "1.5"],
      ["INCR", "n"],
      ["INCRBY", "m", "1.5"],
      ["INCRBY", "m", "9223372036854775808"],
      ["INCRBY", "m", ""],
      ["DECRBY", "m", "x"],
      ["SET", "n", "-0"],
      ["INCR", "n"],
      ["SET", "n", "123"],
      ["EXPIRE", "n", 100],
      ["INCR", "n"],
      ["TTL", "n"],
      ["ZADD", "h", 1, "f"],
      ["INCR", "h"],
      ["DECRBY", "h", 1],
    ]);
  });

  it("INCRBYFLOAT matches Redis's long double results digit for digit", async () => {
    await run([
      ["SET", "f", "10.5"],
      ["INCRBYFLOAT", "f", "0.1"],
      ["SET", "f", "1.1"],
      ["INCRBYFLOAT", "f", "2.2"],
      ["SET", "f", "3.0e3"],
      ["INCRBYFLOAT", "f", "5.0e3"],
      ["INCRBYFLOAT", "g", "0.1"],
      ["INCRBYFLOAT", "g", "0.2"],
      ["INCRBYFLOAT", "g", "-0.3"],
      ["INCRBYFLOAT", "g", "1e-20"],
      ["INCRBYFLOAT", "g", "-2e-20"],
      ["INCRBYFLOAT", "g", "1e300"],
      ["INCRBYFLOAT", "h", "0x1p3"],
      ["INCRBYFLOAT", "h", "0X1.8P1"],
      ["INCRBYFLOAT", "h", ".5"],
      ["INCRBYFLOAT", "h", "5."],
      ["INCRBYFLOAT", "h", "+1"],
      ["INCRBYFLOAT", "h", "-1e-5"],
      ["INCRBYFLOAT", "h", "123456789.123456789"],
      ["INCRBYFLOAT", "h", "3.14159265358979323846264338327950288"],
      ["INCRBYFLOAT", "h", "-1e18"],
      ["INCRBYFLOAT", "h", "1e4000"],
      ["INCRBYFLOAT", "h", "-1e4000"],
      ["INCRBYFLOAT", "h", " 1"],
      ["INCRBYFLOAT", "h", "1 "],
      ["INCRBYFLOAT", "h", ""],
      ["INCRBYFLOAT", "h", "abc"],
      ["INCRBYFLOAT", "h", "nan"],
      ["INCRBYFLOAT", "h", "inf"],
      ["INCRBYFLOAT", "h", "-Infinity"],
      ["INCRBYFLOAT", "h", "1e5000"],
      ["INCRBYFLOAT", "h", "1e-5000"],
      ["INCRBYFLOAT", "h", "1e"],
      ["INCRBYFLOAT", "h", "0x"],
      ["GET", "h"],
      ["SET", "big", "1e4932"],
      ["INCRBYFLOAT", "big", "1"],
      ["SET", "big", "1.18e4932"],
      ["INCRBYFLOAT", "big", "1.18e4932"],
      ["SET", "bad", "1.5x"],
      ["INCRBYFLOAT", "bad", "1"],
      ["SET", "i", "7"],
      ["EXPIRE", "i", 100],
      ["INCRBYFLOAT", "i", "0.25"],
      ["TTL", "i"],
      ["ZADD", "s", 1, "m"],
      ["INCRBYFLOAT", "s", "1"],
      ["INCRBYFLOAT", "s", "x"],
    ]);
  });

  it("APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE and the size limit", async () => {
    await run([
      ["APPEND", "a", "hello"],
      ["APPEND", "a", " world"],
      ["APPEND", "a", ""],
      ["STRLEN", "a"],
      ["STRLEN", "nosuch"],
      ["GETRANGE", "a", 0, 4],
      ["GETRANGE", "a", -5, -1],
      ["GETRANGE", "a", -1, -5],
      ["GETRANGE", "a", 5, 2],
      ["GETRANGE", "a", 0, 1000],
      ["GETRANGE", "a", -1000, 2],
      ["GETRANGE", "a", 100, 200],
      ["GETRANGE", "a", "9223372036854775807", "-9223372036854775808"],
      ["GETRANGE", "a", "x", 1],
      ["GETRANGE", "nosuch", 0, -1],
      ["GETRANGE", "nosuch", "x", 1],
      ["SUBSTR", "a", 1, 3],
      ["SET", "n", 12345],
      ["GETRANGE", "n", 1, 2],
      ["APPEND", "n", 6],
      ["STRLEN", "n"],
      ["SETRANGE", "a", 6, "W"],
      ["GET", "a"],
      ["SETRANGE", "a", 20, "tail"],
      ["GET", "a"],
      ["SETRANGE", "a", 0, ""],
      ["SETRANGE", "new", 0, ""],
      ["EXISTS", "new"],
      ["SETRANGE", "new", 3, "x"],
      ["GET", "new"],
      ["SETRANGE", "a", -1, "x"],
      ["SETRANGE", "a", "x", "x"],
      ["SETRANGE", "a", 2097150, "xyz"],
      ["SETRANGE", "a", 2097100, "xyz"],
      ["STRLEN", "a"],
      ["SETRANGE", "fresh", 2097152, "x"],
      ["SETRANGE", "fresh", "9223372036854775807", "x"],
      ["SET", "big", "x"],
      ["SETRANGE", "big", 2097151, ""],
      ["APPEND", "a", "x".repeat(100)],
      ["SET", "e", "v"],
      ["EXPIRE", "e", 100],
      ["APPEND", "e", "w"],
      ["SETRANGE", "e", 0, "W"],
      ["TTL", "e"],
      ["GET", "e"],
      ["APPEND", "bin", BINARY],
      ["APPEND", "bin", BINARY],
      ["GETRANGE", "bin", 250, 260],
      ["SETRANGE", "bin", 1, BINARY.slice(0, 20)],
      ["GET", "bin"],
      ["ZADD", "l", 1, "x"],
      ["APPEND", "l", "x"],
      ["STRLEN", "l"],
      ["GETRANGE", "l", 0, 1],
      ["SETRANGE", "l", 0, "x"],
      ["SETRANGE", "l", 0, ""],
      ["SETRANGE", "l", -1, "x"],
    ]);
  });

  it("proto-max-bulk-len caps APPEND growth", async () => {
    await run([
      ["SET", "big", "x".repeat(1024 * 1024)],
      ["APPEND", "big", "y".repeat(1024 * 1024)],
      ["STRLEN", "big"],
      ["APPEND", "big", "z"],
      ["STRLEN", "big"],
    ]);
  });

  it("SETBIT, GETBIT and their offset limits", async () => {
    await run([
      ["SETBIT", "b", 7, 1],
      ["SETBIT", "b", 7, 1],
      ["SETBIT", "b", 7, 0],
      ["GET", "b"],
      ["SETBIT", "b", 100, 1],
      ["GET", "b"],
      ["GETBIT", "b", 100],
      ["GETBIT", "b", 101],
      ["GETBIT", "b", 100000],
      ["GETBIT", "nosuch", 0],
      ["SETBIT", "b", 0, 2],
      ["SETBIT", "b", 0, -1],
      ["SETBIT", "b", 0, "x"],
      ["SETBIT", "b", -1, 1],
      ["SETBIT", "b", "x", 1],
      ["SETBIT", "b", 16777216, 1],
      ["SETBIT", "b", 16777215, 1],
      ["STRLEN", "b"],
      ["GETBIT", "b", 16777216],
      ["GETBIT", "b", -1],
      ["GETBIT", "b", "9223372036854775807"],
      ["SET", "n", "12"],
      ["GETBIT", "n", 2],
      ["GETBIT", "n", 3],
      ["SETBIT", "n", 15, 1],
      ["GET", "n"],
      ["ZADD", "s", 1, "m"],
      ["SETBIT", "s", 0, 1],
      ["GETBIT", "s", 0],
      ["SETBIT", "s", -1, 1],
    ]);
  });

  it("BITCOUNT and BITPOS with BYTE and BIT ranges", async () => {
    const cmds: Cmd[] = [
      ["SET", "s", "foobar"],
      ["SET", "ones", "\xff\xff\xff"],
      ["SET", "zeros", "\x00\x00\x00"],
      ["SET", "mix", "\x00\xff\xf0\x0f"],
      ["SET", "empty", ""],
      ["BITCOUNT", "s"],
      ["BITCOUNT", "s", 1],
      ["BITCOUNT", "s", 1, 2, 3],
      ["BITCOUNT", "s", "x", 1],
      ["BITCOUNT", "s", 1, "x"],
      ["BITCOUNT", "s", 1, 2, "bogus"],
      ["BITCOUNT", "s", -1, -2, "bogus"],
      ["BITCOUNT", "nosuch", "x", "y"],
      ["BITCOUNT", "nosuch", 1],
      ["BITCOUNT", "empty"],
      ["BITCOUNT", "empty", 0, -1],
      ["BITPOS", "s", 2],
      ["BITPOS", "s", "x"],
      ["BITPOS", "nosuch", 0],
      ["BITPOS", "nosuch", 1],
      ["BITPOS", "nosuch", 1, "x"],
      ["BITPOS", "empty", 0],
      ["BITPOS", "empty", 1],
      ["BITPOS", "s", 1, 2, 3, "bit", 5],
      ["BITPOS", "s", 1, "x"],
      ["BITPOS", "s", 1, 0, "x"],
      ["BITPOS", "s", 1, 0, 1, "bogus"],
      ["ZADD", "l", 1, "x"],
      ["BITCOUNT", "l"],
      ["BITPOS", "l", 1],
      ["BITPOS", "l", 2],
    ];
    const ranges = [-100, -9, -8, -7, -3, -1, 0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 24, 31, 47, 100];
    for (const key of ["s", "ones", "zeros", "mix", "empty"]) {
      cmds.push(["BITPOS", key, 0], ["BITPOS", key, 1]);
      for (const a of ranges) {
        cmds.push(["BITPOS", key, 0, a], ["BITPOS", key, 1, a]);
        for (const b of [-1, -5, 0, 2, 7, 9, 23, 30, 100]) {
          cmds.push(["BITCOUNT", key, a, b], ["BITCOUNT", key, a, b, "BIT"], ["BITCOUNT", key, a, b, "byte"]);
          cmds.push(["BITPOS", key, 0, a, b], ["BITPOS", key, 1, a, b]);
          cmds.push(["BITPOS", key, 0, a, b, "bit"], ["BITPOS", key, 1, a, b, "BIT"]);
        }
      }
    }
    await run(cmds);
  });

  it("BITOP AND/OR/XOR/NOT", async () => {
    await run([
      ["SET", "a", "\xff\x0f\xaa"],
      ["SET", "b", "\x0f\xff"],
      ["SET", "c", ""],
      ["BITOP", "AND", "d", "a", "b"],
      ["GET", "d"],
      ["BITOP", "or", "d", "a", "b", "nosuch"],
      ["GET", "d"],
      ["BITOP", "XOR", "d", "a", "b", "a"],
      ["GET", "d"],
      ["BITOP", "AND", "d", "a", "nosuch"],
      ["GET", "d"],
      ["BITOP", "NOT", "d", "a"],
      ["GET", "d"],
      ["BITOP", "NOT", "d", "a", "b"],
      ["BITOP", "NOT", "d", "nosuch"],
      ["EXISTS", "d"],
      ["SET", "d", "x"],
      ["BITOP", "OR", "d", "c", "nosuch"],
      ["EXISTS", "d"],
      ["BITOP", "NAND", "d", "a"],
      ["BITOP", "AND", "d"],
      ["SET", "d", "v"],
      ["EXPIRE", "d", 100],
      ["BITOP", "AND", "d", "a"],
      ["TTL", "d"],
      ["ZADD", "l", 1, "x"],
      ["BITOP", "AND", "d", "a", "l"],
      ["BITOP", "AND", "l", "a"],
      ["TYPE", "l"],
      ["SET", "bin", BINARY],
      ["BITOP", "NOT", "nb", "bin"],
      ["GET", "nb"],
      ["BITOP", "XOR", "x", "bin", "nb"],
      ["GET", "x"],
    ]);
  });

  it("LCS with LEN, IDX, MINMATCHLEN and WITHMATCHLEN, RESP2 and RESP3", async () => {
    const cmds: Cmd[] = [
      ["MSET", "a", "ohmytext", "b", "mynewtext", "c", "", "d", "xyz"],
      ["LCS", "a", "b"],
      ["LCS", "a", "b", "LEN"],
      ["LCS", "a", "b", "IDX"],
      ["LCS", "a", "b", "IDX", "MINMATCHLEN", 4],
      ["LCS", "a", "b", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"],
      ["LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", -3],
      ["LCS", "a", "b", "IDX", "LEN"],
      ["LCS", "a", "b", "MINMATCHLEN"],
      ["LCS", "a", "b", "MINMATCHLEN", "x"],
      ["LCS", "a", "b", "BOGUS"],
      ["LCS", "a", "c"],
      ["LCS", "a", "d", "IDX"],
      ["LCS", "nosuch", "a"],
      ["LCS", "nosuch", "a", "IDX"],
      ["LCS", "a", "a", "IDX", "WITHMATCHLEN"],
      [
        "MSET",
        "p",
        "GTAGGAACTTACGTTAAGCTCAGGCTTAGCATTTAGCTAAGCTAAGAGCTTT",
        "q",
        "TTAGCAGTCTAGCGATTAGCAGCAGATACGCAGACGCTATTAGCCGCTA",
      ],
      ["LCS", "p", "q"],
      ["LCS", "p", "q", "IDX", "WITHMATCHLEN"],
      ["LCS", "p", "q", "IDX", "MINMATCHLEN", 3],
      ["ZADD", "l", 1, "x"],
      ["LCS", "a", "l"],
      ["LCS", "l", "nosuch", "BOGUS"],
    ];
    await run(cmds);
    // HELLO's reply carries the connection id, which differs: switch protocols outside the comparison.
    await Promise.all([t.raw("HELLO", "3"), r.raw("HELLO", "3")]);
    await sameSequence(t, r, cmds.slice(1));
    await Promise.all([t.raw("HELLO", "2"), r.raw("HELLO", "2")]);
  });

  it("LCS refuses a table larger than proto-max-bulk-len", async () => {
    await run([
      ["SET", "a", "x".repeat(1000)],
      ["SET", "b", "y".repeat(1000)],
      ["LCS", "a", "b", "LEN"],
    ]);
  });

  it("wrong arity errors name the command", async () => {
    await run([
      ["SETNX", "a"],
      ["SETEX", "a", 1],
      ["GETDEL"],
      ["APPEND", "a"],
      ["STRLEN"],
      ["GETRANGE", "a", 1],
      ["SETBIT", "a", 1],
      ["BITCOUNT"],
      ["BITPOS", "a"],
      ["BITOP", "AND"],
      ["INCRBYFLOAT", "a"],
      ["LCS", "a"],
      ["MSETNX"],
    ]);
  });
});
