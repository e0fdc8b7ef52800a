import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { maskStreamTimes } from "../helpers/stream-replies.js";

/**
 * Streams, differentially against Debian's redis-server 7.0: every command with its options and every
 * error text, byte for byte (RESP2 and RESP3). Replies that carry clock readings (XPENDING idle times,
 * XINFO CONSUMERS idle, XINFO STREAM FULL seen/delivery times) are compared with those fields masked; IDs
 * are explicit (or generated after a far-future top ID) so both servers produce the same ones. The seeded
 * random run is streams-random-diff.test.ts, blocking and propagation streams-blocking-diff.test.ts.
 */

type Cmd = (string | number)[];

describe("streams vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  async function run(cmds: Cmd[], flush = true): Promise<void> {
    if (flush) await same(t, r, ["FLUSHALL"]);
    for (const c of cmds) await same(t, r, c);
  }

  /** Same reply once clock readings are masked. */
  async function sameMasked(args: Cmd): Promise<void> {
    const [a, b] = await Promise.all([t.raw(...args), r.raw(...args)]);
    assert.equal(maskStreamTimes(a), maskStreamTimes(b), `reply to ${JSON.stringify(args)} differs`);
  }

  it("XADD: explicit, <ms>-* and generated IDs, options, and their errors", async () => {
    await run([
      ["XADD", "s", "1-1", "a", 1, "b", 2],
      ["XADD", "s", "1-1", "a", 1],
      ["XADD", "s", "1-0", "a", 1],
      ["XADD", "s", "1-*", "a", 1],
      ["XADD", "s", "2", "f", "v"],
      ["XADD", "s", "2-*", "f", "v"],
      ["XADD", "s", "0-0", "f", "v"],
      ["XADD", "s", "0-*", "f", "v"],
      ["XADD", "z0", "0-*", "f", "v"],
      ["XADD", "z1", "0-0", "f", "v"],
      ["EXISTS", "z1"],
      ["XADD", "z2", "0-1", "f", "v"],
      ["XADD", "s", "3-0", "a", 1, "b", 2, "c", 3],
      ["XADD", "s", "4-0", "b", 2, "a", 1],
      ["XADD", "s", "5-0", "", ""],
      ["XADD", "s", "6-0", "12", "-5", "9223372036854775807", "-9223372036854775808"],
      ["XADD", "s", "7-0", "x".repeat(70), "y".repeat(5000)],
      ["XRANGE", "s", "-", "+"],
      // Generated IDs: the top ID is in the far future, so both servers continue its sequence.
      ["XADD", "fut", "99999999999999-5", "f", "v"],
      ["XADD", "fut", "*", "f", "v"],
      ["XADD", "fut", "99999999999999-*", "f", "v"],
      ["XADD", "fut", "NOMKSTREAM", "*", "f", "v"],
      ["XRANGE", "fut", "-", "+"],
      // Argument errors, in Redis's order.
      ["XADD", "s", "x"],
      ["XADD", "s", "*"],
      ["XADD", "s", "*", "a"],
      ["XADD", "s", "*", "a", 1, "b"],
      ["XADD", "s", "1-x", "a", 1],
      ["XADD", "s", "-", "a", 1],
      ["XADD", "s", "+", "a", 1],
      ["XADD", "s", "1-2-3", "a", 1],
      ["XADD", "s", "-1", "a", 1],
      ["XADD", "s", "18446744073709551616", "a", 1],
      ["XADD", "s", "*-1", "a", 1],
      ["XADD", "s", "1-**", "a", 1],
      ["XADD", "nostream", "NOMKSTREAM", "*", "a", 1],
      ["EXISTS", "nostream"],
      ["XADD", "s", "MAXLEN", "-1", "*", "a", 1],
      ["XADD", "s", "MAXLEN", "x", "*", "a", 1],
      ["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", 1],
      ["XADD", "s", "MINID", "1", "MAXLEN", "1", "*", "a", 1],
      ["XADD", "s", "MINID", "-", "*", "a", 1],
      ["XADD", "s", "LIMIT", "10", "*", "a", 1],
      ["XADD", "s", "LIMIT", "0", "*", "a", 1],
      ["XADD", "s", "LIMIT", "-1", "*", "a", 1],
      ["XADD", "s", "MAXLEN", "10", "LIMIT", "10", "*", "a", 1],
      ["XADD", "s", "MAXLEN", "=", "10", "LIMIT", "10", "*", "a", 1],
      ["XADD", "s", "MAXLEN"],
      ["XADD", "s", "MAXLEN", "~"],
      ["XADD", "s", "MAXLEN", "5"],
      ["XADD", "s", "FOO", "a", 1],
      ["XADD", "s"],
      ["SET", "str", "v"],
      ["XADD", "str", "*", "a", 1],
      ["XADD", "str", "NOMKSTREAM", "*", "a", 1],
      ["XLEN", "s"],
    ]);
  });

  it("XADD and XTRIM trimming: MAXLEN/MINID, = and ~ on Redis's node boundaries, LIMIT", async () => {
    const cmds: Cmd[] = [];
    for (let i = 1; i <= 450; i++)
      cmds.push(["XADD", "big", `${i * 3}-${i % 4}`, "f", i, "g", "x".repeat(i % 40)]);
    await run(cmds);
    await run(
      [
        ["XINFO", "STREAM", "big"],
        ["XADD", "big", "MAXLEN", "~", "300", "2000-0", "f", 1],
        ["XLEN", "big"],
        ["XADD", "big", "MAXLEN", "~", "300", "LIMIT", "50", "2001-0", "f", 1],
        ["XLEN", "big"],
        ["XTRIM", "big", "MAXLEN", "~", "250", "LIMIT", "150"],
        ["XLEN", "big"],
        ["XTRIM", "big", "MINID", "~", "900"],
        ["XRANGE", "big", "-", "+", "COUNT", "2"],
        ["XTRIM", "big", "MINID", "=", "901-2"],
        ["XRANGE", "big", "-", "+", "COUNT", "2"],
        ["XTRIM", "big", "MAXLEN", "200"],
        ["XINFO", "STREAM", "big"],
        ["XTRIM", "big", "MAXLEN", "~", "0", "LIMIT", "0"],
        ["XLEN", "big"],
        ["XINFO", "STREAM", "big"],
        ["XTRIM", "big", "MAXLEN", "0"],
        ["XINFO", "STREAM", "big"],
        ["XTRIM", "big", "MINID", "~", "1"],
        ["XTRIM", "nokey", "MAXLEN", "0"],
        ["XTRIM", "big"],
        ["XTRIM", "big", "FOO", "1"],
        ["XTRIM", "big", "LIMIT", "1"],
        ["XTRIM", "big", "MAXLEN", "1", "LIMIT", "1"],
        ["XTRIM", "big", "MAXLEN", "~", "1", "LIMIT", "x"],
        ["XTRIM", "big", "MINID", "(1"],
        ["SET", "str", "v"],
        ["XTRIM", "str", "MAXLEN", "1"],
      ],
      false,
    );
  });

  it("honours stream-node-max-entries and stream-node-max-bytes as Redis does", async () => {
    const cmds: Cmd[] = [["CONFIG", "SET", "stream-node-max-entries", "4"]];
    for (let i = 1; i <= 30; i++) cmds.push(["XADD", "e", `${i}-0`, "k", i]);
    cmds.push(["XINFO", "STREAM", "e"], ["XADD", "e", "MAXLEN", "~", "9", "31-0", "k", "x"], ["XLEN", "e"]);
    cmds.push(
      ["CONFIG", "SET", "stream-node-max-entries", "0"],
      ["CONFIG", "SET", "stream-node-max-bytes", "120"],
    );
    for (let i = 1; i <= 30; i++) cmds.push(["XADD", "b", `${i}-0`, "k", "v".repeat(i * 2)]);
    cmds.push(["XINFO", "STREAM", "b"], ["XTRIM", "b", "MINID", "~", "20"], ["XLEN", "b"]);
    cmds.push(
      ["CONFIG", "SET", "stream-node-max-bytes", "0"],
      ["CONFIG", "SET", "stream-node-max-entries", "100"],
    );
    for (let i = 1; i <= 150; i++) cmds.push(["XADD", "u", `${i}-0`, "k", i]);
    cmds.push(["XINFO", "STREAM", "u"]);
    cmds.push(["CONFIG", "SET", "stream-node-max-bytes", "4096"]);
    cmds.push(["CONFIG", "SET", "stream-node-max-entries", "-1"]);
    await run(cmds);
    await same(t, r, ["CONFIG", "GET", "stream-node-*"], { sortedPairs: true });
  });

  it("XRANGE, XREVRANGE and XLEN: bounds, exclusive ranges, COUNT, full 64-bit IDs", async () => {
    const cmds: Cmd[] = [];
    for (let i = 1; i <= 40; i++) cmds.push(["XADD", "r", `${i}-${i % 3}`, "n", i]);
    cmds.push(
      ["XADD", "r", "18446744073709551615-0", "top", 1],
      ["XADD", "r", "18446744073709551615-18446744073709551614", "top", 2],
      ["XADD", "r", "18446744073709551615-*", "top", 3],
      ["XADD", "r", "*", "top", 4],
      ["XLEN", "r"],
      ["XRANGE", "r", "-", "+"],
      ["XREVRANGE", "r", "+", "-"],
      ["XRANGE", "r", "5", "9"],
      ["XRANGE", "r", "5-1", "9-0"],
      ["XRANGE", "r", "(5-2", "(9-0"],
      ["XRANGE", "r", "(5", "+", "COUNT", "3"],
      ["XREVRANGE", "r", "(30", "(20", "COUNT", "4"],
      ["XREVRANGE", "r", "+", "-", "COUNT", "2"],
      ["XRANGE", "r", "-", "+", "COUNT", "0"],
      ["XRANGE", "r", "-", "+", "COUNT", "-5"],
      ["XRANGE", "r", "-", "+", "count", "2", "COUNT", "1"],
      ["XRANGE", "r", "18446744073709551615", "+"],
      ["XRANGE", "r", "(18446744073709551615-18446744073709551614", "+"],
      ["XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"],
      ["XRANGE", "r", "-", "(0-0"],
      ["XRANGE", "r", "-", "(0"],
      ["XRANGE", "r", "(-", "+"],
      ["XRANGE", "r", "-", "(+"],
      ["XRANGE", "r", "(", "+"],
      ["XRANGE", "r", "9", "5"],
      ["XRANGE", "r", " 5", "+5"],
      ["XRANGE", "r", "005", "7-00"],
      ["XRANGE", "r", "5-", "6"],
      ["XRANGE", "r", "-5", "6"],
      ["XRANGE", "r", "1--0", "2"],
      ["XRANGE", "r", "abc", "+"],
      ["XRANGE", "r", "-", "+", "COUNT"],
      ["XRANGE", "r", "-", "+", "COUNT", "x"],
      ["XRANGE", "r", "-", "+", "LIMIT", "1"],
      ["XRANGE", "nokey", "-", "+"],
      ["XRANGE", "nokey", "-", "+", "COUNT", "0"],
      ["XREVRANGE", "nokey", "+", "-"],
      ["XLEN", "nokey"],
      ["SET", "str", "v"],
      ["XRANGE", "str", "-", "+"],
      ["XRANGE", "str", "x", "+"],
      ["XREVRANGE", "str", "+", "-"],
      ["XLEN", "str"],
    );
    await run(cmds);
  });

  it("writes entries straight from the listpack: every element encoding, long values, large replies", async () => {
    // Values stored as listpack integers of each width and as strings that only look like numbers.
    const values = [
      "0",
      "7",
      "127",
      "128",
      "-1",
      "-4096",
      "4095",
      "4096",
      "-32768",
      "32767",
      "-8388608",
      "8388607",
      "2147483647",
      "-2147483648",
      "2147483648",
      "9007199254740991",
      "9007199254740992",
      "-9007199254740993",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
      "-0",
      "007",
      "1e3",
      " 1",
      "",
      "x".repeat(63),
      "y".repeat(64),
      "z".repeat(4095),
      "w".repeat(4096),
      "v".repeat(9000),
    ];
    const cmds: Cmd[] = [];
    values.forEach((v, i) => {
      cmds.push(["XADD", "e", `${i + 1}-0`, "f", v]);
      cmds.push(["XADD", "e", `${i + 1}-1`, v, "same-fields-or-not", "g", v]);
    });
    // IDs around 2^53, where the halves stop being JS numbers, and mixed in one reply.
    for (const id of [
      "9007199254740990-9007199254740991",
      "9007199254740991-0",
      "9007199254740991-9007199254740992",
      "9007199254740992-1",
      "18446744073709551614-5",
    ])
      cmds.push(["XADD", "e", id, "f", id]);
    cmds.push(
      ["XRANGE", "e", "-", "+"],
      ["XREVRANGE", "e", "+", "-", "COUNT", "7"],
      ["XRANGE", "e", "9007199254740991", "+"],
      ["XRANGE", "e", "(9007199254740991-0", "9007199254740992"],
      ["XRANGE", "e", "30", "10"],
      ["XREAD", "COUNT", "3", "STREAMS", "e", "e", "0", "31-1"],
      ["XGROUP", "CREATE", "e", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "40", "STREAMS", "e", ">"],
      ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "e", "0"],
      ["XDEL", "e", "2-0", "3-1"],
      ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "e", "0"],
      ["XCLAIM", "e", "g", "bob", "0", "1-0", "2-0", "4-1"],
      ["XAUTOCLAIM", "e", "g", "carol", "0", "0", "COUNT", "6"],
    );
    // A reply of many buffers: a few thousand entries with 1 KB values.
    for (let i = 0; i < 3000; i++) cmds.push(["XADD", "big", `${i + 1}-0`, "f", "b".repeat(1000), "n", i]);
    cmds.push(["XRANGE", "big", "-", "+"], ["XREVRANGE", "big", "+", "-", "COUNT", "2500"]);
    await run(cmds);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    await run(
      [
        ["XRANGE", "e", "-", "+", "COUNT", "20"],
        ["XREAD", "STREAMS", "e", "big", "60", "2990"],
      ],
      false,
    );
    await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
  });

  it("XDEL: tombstones, first-entry and max-deleted-entry-id bookkeeping, errors", async () => {
    const cmds: Cmd[] = [];
    for (let i = 1; i <= 12; i++) cmds.push(["XADD", "d", `${i}-0`, "v", i]);
    cmds.push(
      ["XDEL", "d", "1-0", "3-0", "3-0", "99-0"],
      ["XINFO", "STREAM", "d"],
      ["XDEL", "d", "2"],
      ["XINFO", "STREAM", "d"],
      ["XDEL", "d", "12-0", "11-0", "10-0", "9-0", "8-0", "7-0", "6-0", "5-0", "4-0"],
      ["XINFO", "STREAM", "d"],
      ["XLEN", "d"],
      ["EXISTS", "d"],
      ["XADD", "d", "12-0", "again", 1],
      ["XADD", "d", "13-0", "again", 1],
      ["XINFO", "STREAM", "d"],
      ["XDEL", "d", "13-0", "bad"],
      ["XLEN", "d"],
      ["XDEL", "d", "+"],
      ["XDEL", "nokey", "1-0"],
      ["SET", "str", "v"],
      ["XDEL", "str", "1-0"],
    );
    await run(cmds);
  });

  it("XSETID: top ID, ENTRIESADDED, MAXDELETEDID and their errors", async () => {
    await run([
      ["XADD", "x", "5-0", "a", 1],
      ["XADD", "x", "6-0", "a", 1],
      ["XSETID", "x", "6-0"],
      ["XSETID", "x", "5-9"],
      ["XSETID", "x", "100-0", "ENTRIESADDED", "1"],
      ["XSETID", "x", "100-0", "ENTRIESADDED", "-1"],
      ["XSETID", "x", "100-0", "ENTRIESADDED", "x"],
      ["XSETID", "x", "100-0", "MAXDELETEDID", "200-0"],
      ["XSETID", "x", "100-0", "ENTRIESADDED", "50", "MAXDELETEDID", "90-0"],
      ["XINFO", "STREAM", "x"],
      ["XADD", "x", "99-0", "a", 1],
      ["XADD", "x", "100-*", "a", 1],
      ["XSETID", "x", "18446744073709551615-18446744073709551615"],
      ["XADD", "x", "*", "a", 1],
      ["XADD", "x", "18446744073709551615-*", "a", 1],
      ["XSETID", "x", "+"],
      ["XSETID", "x", "1-0", "FOO"],
      ["XSETID", "x", "1-0", "ENTRIESADDED"],
      ["XSETID", "nokey", "1-0"],
      ["XSETID", "nokey", "x"],
      ["XDEL", "x", "5-0", "6-0", "100-1"],
      ["XSETID", "x", "0-1"],
      ["XINFO", "STREAM", "x"],
      ["SET", "str", "v"],
      ["XSETID", "str", "1-0"],
    ]);
  });

  it("XREAD without blocking: several streams, $, COUNT, and its errors", async () => {
    await run([
      ["XADD", "a", "1-0", "f", 1],
      ["XADD", "a", "2-0", "f", 2],
      ["XADD", "b", "1-5", "g", 1],
      ["XREAD", "STREAMS", "a", "b", "0", "0"],
      ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0-0", "1-4"],
      ["XREAD", "STREAMS", "a", "b", "1", "1-5"],
      ["XREAD", "STREAMS", "a", "$"],
      ["XREAD", "STREAMS", "nokey", "a", "$", "$"],
      ["XREAD", "STREAMS", "a", "a", "0", "1"],
      ["XREAD", "COUNT", "-1", "STREAMS", "a", "0"],
      ["XREAD", "count", "0", "streams", "a", "0"],
      ["XREAD", "BLOCK", "x", "STREAMS", "a", "0"],
      ["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"],
      ["XREAD", "BLOCK", "0", "STREAMS", "a", "0"],
      ["XREAD", "COUNT", "x", "STREAMS", "a", "0"],
      ["XREAD", "STREAMS", "a"],
      ["XREAD", "STREAMS", "a", "b", "0"],
      ["XREAD", "STREAMS", "a", "-"],
      ["XREAD", "STREAMS", "a", "+"],
      ["XREAD", "STREAMS", "a", ">"],
      ["XREAD", "STREAMS", "a", "x"],
      ["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"],
      ["XREAD", "NOACK", "STREAMS", "a", "0"],
      ["XREAD", "FOO", "STREAMS", "a", "0"],
      ["XREAD", "COUNT", "1"],
      ["XREAD", "a", "0"],
      ["SET", "str", "v"],
      ["XREAD", "STREAMS", "str", "0"],
      ["XREAD", "STREAMS", "a", "str", "0", "0"],
      ["MULTI"],
      ["XREAD", "BLOCK", "0", "STREAMS", "nokey", "$"],
      ["XREAD", "BLOCK", "0", "STREAMS", "a", "$"],
      ["XREAD", "BLOCK", "0", "STREAMS", "a", "0"],
      ["EXEC"],
    ]);
  });

  it("consumer groups: XGROUP subcommands, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM", async () => {
    await run([
      ["XADD", "q", "1-0", "f", 1],
      ["XADD", "q", "2-0", "f", 2],
      ["XADD", "q", "3-0", "g", 3, "h", 4],
      ["XADD", "q", "4-0", "f", 4],
      ["XGROUP", "CREATE", "q", "g1", "0"],
      ["XGROUP", "CREATE", "q", "g1", "0"],
      ["XGROUP", "CREATE", "q", "g2", "$", "ENTRIESREAD", "4"],
      ["XGROUP", "CREATE", "q", "g3", "2-0", "ENTRIESREAD", "2", "MKSTREAM"],
      ["XGROUP", "CREATE", "nokey", "g", "0"],
      ["XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM"],
      ["XINFO", "STREAM", "mk"],
      ["XGROUP", "CREATE", "q", "g4", "x"],
      ["XGROUP", "CREATE", "q", "g4", "-"],
      ["XGROUP", "CREATE", "q", "g4", "0", "ENTRIESREAD", "-2"],
      ["XGROUP", "CREATE", "q", "g4", "0", "ENTRIESREAD", "x"],
      ["XGROUP", "CREATE", "q", "g4", "0", "ENTRIESREAD"],
      ["XGROUP", "CREATE", "q", "g4", "0", "BOGUS"],
      ["XGROUP", "CREATE", "q", "g4", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"],
      ["XGROUP", "CREATE", "q"],
      ["XINFO", "GROUPS", "q"],
      ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "q", ">"],
      ["XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "q", ">"],
      ["XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "q", ">"],
      ["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "q", "0"],
      ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "q", "1"],
      ["XREADGROUP", "GROUP", "g1", "carol", "STREAMS", "q", "0"],
      ["XREADGROUP", "GROUP", "g2", "x", "NOACK", "STREAMS", "q", ">"],
      ["XADD", "q", "5-0", "f", 5],
      ["XREADGROUP", "GROUP", "g2", "y", "NOACK", "STREAMS", "q", ">"],
      ["XINFO", "GROUPS", "q"],
      ["XPENDING", "q", "g1"],
      ["XPENDING", "q", "g2"],
      ["XACK", "q", "g1", "1-0", "9-9", "1-0"],
      ["XACK", "q", "g1", "2", "bad"],
      ["XACK", "q", "nog", "2-0"],
      ["XACK", "nokey", "g1", "2-0"],
      ["XPENDING", "q", "g1"],
      ["XCLAIM", "q", "g1", "carol", "0", "2-0", "JUSTID"],
      ["XCLAIM", "q", "g1", "carol", "3600000", "3-0", "JUSTID"],
      ["XCLAIM", "q", "g1", "dave", "0", "3-0", "4-0", "RETRYCOUNT", "7"],
      ["XCLAIM", "q", "g1", "dave", "0", "5-0"],
      ["XCLAIM", "q", "g1", "dave", "0", "5-0", "FORCE", "JUSTID"],
      ["XCLAIM", "q", "g1", "dave", "0", "99-0", "FORCE"],
      ["XCLAIM", "q", "g1", "erin", "0", "2-0", "TIME", "1000", "LASTID", "10-0", "JUSTID"],
      ["XPENDING", "q", "g1"],
      ["XINFO", "GROUPS", "q"],
      ["XAUTOCLAIM", "q", "g1", "frank", "0", "0", "COUNT", "1"],
      ["XAUTOCLAIM", "q", "g1", "frank", "0", "(2-0", "JUSTID"],
      ["XAUTOCLAIM", "q", "g1", "frank", "3600000", "0"],
      ["XDEL", "q", "3-0", "5-0"],
      ["XAUTOCLAIM", "q", "g1", "gina", "0", "0"],
      ["XPENDING", "q", "g1"],
      ["XREADGROUP", "GROUP", "g1", "frank", "STREAMS", "q", "0"],
      ["XGROUP", "CREATECONSUMER", "q", "g1", "henry"],
      ["XGROUP", "CREATECONSUMER", "q", "g1", "henry"],
      ["XGROUP", "CREATECONSUMER", "q", "nog", "henry"],
      ["XGROUP", "DELCONSUMER", "q", "g1", "frank"],
      ["XGROUP", "DELCONSUMER", "q", "g1", "nobody"],
      ["XGROUP", "DELCONSUMER", "q", "nog", "frank"],
      ["XPENDING", "q", "g1"],
      ["XGROUP", "SETID", "q", "g1", "0"],
      ["XGROUP", "SETID", "q", "g1", "$", "ENTRIESREAD", "3"],
      ["XGROUP", "SETID", "q", "g1", "-"],
      ["XGROUP", "SETID", "q", "g1", "2-0", "ENTRIESREAD", "-1"],
      ["XGROUP", "SETID", "q", "g1", "x"],
      ["XGROUP", "SETID", "q", "g1", "0", "MKSTREAM"],
      ["XGROUP", "SETID", "q", "g1", "0", "ENTRIESREAD"],
      ["XGROUP", "SETID", "q", "nog", "0"],
      ["XGROUP", "SETID", "nokey", "g1", "0"],
      ["XINFO", "GROUPS", "q"],
      ["XREADGROUP", "GROUP", "g1", "henry", "STREAMS", "q", ">"],
      ["XPENDING", "q", "g1"],
      ["XGROUP", "DESTROY", "q", "g1"],
      ["XGROUP", "DESTROY", "q", "g1"],
      ["XGROUP", "DESTROY", "nokey", "g1"],
      ["XGROUP", "FOO", "q", "g1"],
      ["XGROUP", "HELP"],
      ["XGROUP", "HELP", "x"],
      ["XGROUP"],
      ["XINFO", "GROUPS", "q"],
      // XREADGROUP argument errors.
      ["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "q", ">"],
      ["XREADGROUP", "GROUP", "g2", "c", "STREAMS", "nokey", ">"],
      ["XREADGROUP", "GROUP", "g2", "c", "STREAMS", "q", "$"],
      ["XREADGROUP", "GROUP", "g2", "c", "STREAMS", "q", "x"],
      ["XREADGROUP", "GROUP", "g2", "STREAMS", "q", ">"],
      ["XREADGROUP", "STREAMS", "q", ">"],
      ["XREADGROUP", "COUNT", "1", "STREAMS", "q", ">"],
      ["XREADGROUP", "GROUP", "g2", "c", "STREAMS", "q"],
      ["XREADGROUP", "GROUP", "g2", "c", "BLOCK", "-1", "STREAMS", "q", ">"],
      ["SET", "str", "v"],
      ["XREADGROUP", "GROUP", "g2", "c", "STREAMS", "str", ">"],
      ["XGROUP", "CREATE", "str", "g", "0"],
      ["XACK", "str", "g", "1-0"],
      ["XPENDING", "str", "g"],
      ["XCLAIM", "str", "g", "c", "0", "1-0"],
      ["XAUTOCLAIM", "str", "g", "c", "0", "0"],
      ["XINFO", "GROUPS", "str"],
      ["XINFO", "STREAM", "str"],
    ]);
  });

  it("XPENDING, XCLAIM and XAUTOCLAIM: every option and error, idle times masked", async () => {
    await run([
      ["XADD", "p", "1-0", "f", 1],
      ["XADD", "p", "2-0", "f", 2],
      ["XADD", "p", "3-0", "f", 3],
      ["XADD", "p", "4-0", "f", 4],
      ["XGROUP", "CREATE", "p", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "p", ">"],
      ["XREADGROUP", "GROUP", "g", "b", "STREAMS", "p", ">"],
      ["XCLAIM", "p", "g", "a", "0", "4-0", "IDLE", "7200000", "RETRYCOUNT", "3", "JUSTID"],
    ]);
    for (const args of [
      ["XPENDING", "p", "g", "-", "+", "10"],
      ["XPENDING", "p", "g", "-", "+", "10", "a"],
      ["XPENDING", "p", "g", "-", "+", "10", "nobody"],
      ["XPENDING", "p", "g", "(1-0", "(4-0", "10"],
      ["XPENDING", "p", "g", "-", "+", "1"],
      ["XPENDING", "p", "g", "-", "+", "0"],
      ["XPENDING", "p", "g", "-", "+", "-3"],
      ["XPENDING", "p", "g", "IDLE", "3600000", "-", "+", "10"],
      ["XPENDING", "p", "g", "IDLE", "3600000", "-", "+", "10", "b"],
      ["XPENDING", "p", "g", "IDLE", "0", "-", "+", "10", "a"],
      ["XPENDING", "p", "g", "-", "+", "10", "a", "extra"],
      ["XPENDING", "p", "g", "IDLE", "-", "+", "10"],
      ["XPENDING", "p", "g", "IDLE", "x", "-", "+", "10"],
      ["XPENDING", "p", "g", "IDLE", "10", "-", "+"],
      ["XPENDING", "p", "g", "-", "+"],
      ["XPENDING", "p", "g", "-"],
      ["XPENDING", "p", "g", "-", "+", "x"],
      ["XPENDING", "p", "g", "x", "+", "10"],
      ["XPENDING", "p", "g", "(+", "+", "10"],
      ["XPENDING", "p", "g", "-", "(-", "10"],
      ["XPENDING", "p", "g", "-", "(0", "10"],
      ["XPENDING", "p", "nog", "-", "+", "10"],
      ["XPENDING", "nokey", "g"],
      ["XPENDING", "p", "g", "1", "2", "3", "4", "5", "6", "7"],
      ["XINFO", "CONSUMERS", "p", "g"],
      ["XINFO", "STREAM", "p", "FULL"],
      ["XINFO", "STREAM", "p", "FULL", "COUNT", "1"],
      ["XINFO", "STREAM", "p", "FULL", "COUNT", "0"],
      ["XINFO", "STREAM", "p", "FULL", "COUNT", "-1"],
      ["XCLAIM", "p", "g", "c", "3600000", "1-0", "2-0", "3-0", "4-0", "JUSTID"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "IDLE", "-5", "JUSTID"],
      ["XCLAIM", "p", "g", "c", "0", "2-0", "TIME", "99999999999999", "JUSTID"],
      ["XCLAIM", "p", "g", "c", "0", "3-0", "TIME", "1234", "RETRYCOUNT", "9223372036854775807"],
      ["XCLAIM", "p", "g", "c", "-5", "3-0", "JUSTID"],
      ["XCLAIM", "p", "g", "c", "x", "1-0"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "IDLE"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "IDLE", "x"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "TIME", "x"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "RETRYCOUNT", "x"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "LASTID", "x"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "BAD"],
      ["XCLAIM", "p", "g", "c", "0", "1-0", "bad", "2-0"],
      ["XCLAIM", "p", "g", "c", "0", "+"],
      ["XCLAIM", "p", "nog", "c", "0", "1-0"],
      ["XCLAIM", "nokey", "g", "c", "0", "1-0"],
      ["XPENDING", "p", "g", "-", "+", "10"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "2"],
      ["XAUTOCLAIM", "p", "g", "d", "3600000", "0"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "(18446744073709551615-18446744073709551615"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "0"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "x"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "576460752303423488"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "576460752303423487"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT", "1000000000"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "COUNT"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "0", "BAD"],
      ["XAUTOCLAIM", "p", "g", "d", "x", "0"],
      ["XAUTOCLAIM", "p", "g", "d", "0", "x"],
      ["XAUTOCLAIM", "p", "nog", "d", "0", "0"],
      ["XAUTOCLAIM", "nokey", "g", "d", "0", "0"],
      ["XPENDING", "p", "g", "-", "+", "10"],
      ["XINFO", "CONSUMERS", "p", "g"],
      ["XINFO", "CONSUMERS", "p", "nog"],
      ["XINFO", "CONSUMERS", "nokey", "g"],
    ] as Cmd[])
      await sameMasked(args);
  });

  it("XINFO STREAM, GROUPS, CONSUMERS and HELP, with lag and entries-read across deletions", async () => {
    await run([
      ["XINFO", "HELP"],
      ["XINFO", "HELP", "x"],
      ["XINFO", "FOO", "k"],
      ["XINFO", "STREAM"],
      ["XINFO", "STREAM", "nokey"],
      ["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"],
      ["XINFO", "STREAM", "e"],
      ["XINFO", "STREAM", "e", "FULL"],
      ["XINFO", "GROUPS", "e"],
      ["XADD", "i", "1-0", "a", 1],
      ["XADD", "i", "2-0", "a", 2],
      ["XADD", "i", "3-0", "a", 3],
      ["XADD", "i", "4-0", "a", 4],
      ["XGROUP", "CREATE", "i", "early", "0"],
      ["XGROUP", "CREATE", "i", "mid", "2-0"],
      ["XGROUP", "CREATE", "i", "late", "$"],
      ["XGROUP", "CREATE", "i", "known", "2-0", "ENTRIESREAD", "2"],
      ["XINFO", "GROUPS", "i"],
      ["XDEL", "i", "3-0"],
      ["XINFO", "GROUPS", "i"],
      ["XREADGROUP", "GROUP", "early", "c", "COUNT", "1", "STREAMS", "i", ">"],
      ["XINFO", "GROUPS", "i"],
      ["XDEL", "i", "1-0"],
      ["XINFO", "GROUPS", "i"],
      ["XADD", "i", "5-0", "a", 5],
      ["XREADGROUP", "GROUP", "mid", "c", "STREAMS", "i", ">"],
      ["XINFO", "GROUPS", "i"],
      ["XINFO", "STREAM", "i"],
      ["XTRIM", "i", "MAXLEN", "0"],
      ["XINFO", "GROUPS", "i"],
      ["XINFO", "STREAM", "i"],
      ["XINFO", "STREAM", "i", "FULL", "COUNT"],
      ["XINFO", "STREAM", "i", "FULL", "COUNT", "x"],
      ["XINFO", "STREAM", "i", "FULL", "FOO", "1"],
      ["XINFO", "STREAM", "i", "FOO"],
      ["XINFO", "STREAM", "i", "FULL", "COUNT", "1", "x"],
      ["XINFO", "GROUPS", "i", "x"],
      ["XINFO", "CONSUMERS", "i"],
      ["SET", "str", "v"],
      ["XINFO", "STREAM", "str"],
      ["XINFO", "CONSUMERS", "str", "g"],
    ]);
  });

  it("TYPE, OBJECT ENCODING, COPY, RENAME, DEL and DEBUG RELOAD keep streams intact", async () => {
    await run([
      ["XADD", "s", "1-0", "a", 1],
      ["XADD", "s", "2-0", "b", 2],
      ["XGROUP", "CREATE", "s", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"],
      ["TYPE", "s"],
      ["OBJECT", "ENCODING", "s"],
      ["COPY", "s", "s2"],
      ["XADD", "s2", "3-0", "c", 3],
      ["XACK", "s2", "g", "1-0"],
      ["XLEN", "s"],
      ["XPENDING", "s", "g"],
      ["XPENDING", "s2", "g"],
      ["RENAME", "s2", "s3"],
      ["XRANGE", "s3", "-", "+"],
      ["SET", "notastream", "x"],
    ]);
    await same(t, r, ["KEYS", "*"], { sorted: true });
    const scan = (await t.call("SCAN", "0", "TYPE", "stream", "COUNT", "100")) as [Buffer, Buffer[]];
    assert.deepEqual(scan[1].map((b) => b.toString()).sort(), ["s", "s3"]);
    await run(
      [
        ["DEBUG", "RELOAD"],
        ["XINFO", "STREAM", "s"],
        ["XPENDING", "s", "g"],
        ["XINFO", "GROUPS", "s3"],
        ["DEL", "s", "s3"],
        ["EXISTS", "s", "s3"],
      ],
      false,
    );
  });

  it("answers in RESP3 like Redis 7.0 (maps for XREAD and XINFO, nulls)", async () => {
    await same(t, r, ["FLUSHALL"]);
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      await run(
        [
          ["XADD", "a", "1-0", "f", 1],
          ["XADD", "b", "1-0", "f", 1, "g", 2],
          ["XREAD", "STREAMS", "a", "b", "0", "0"],
          ["XREAD", "STREAMS", "a", "$"],
          ["XRANGE", "a", "-", "+", "COUNT", "0"],
          ["XADD", "nokey", "NOMKSTREAM", "*", "f", 1],
          ["XGROUP", "CREATE", "a", "g", "0"],
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">", "0"],
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"],
          ["XPENDING", "a", "g"],
          ["XGROUP", "CREATE", "b", "g", "$"],
          ["XPENDING", "b", "g"],
          ["XINFO", "STREAM", "a"],
          ["XINFO", "STREAM", "b"],
          ["XINFO", "GROUPS", "a"],
          ["XINFO", "GROUPS", "b"],
          ["XAUTOCLAIM", "a", "g", "d", "0", "0", "JUSTID"],
          ["MULTI"],
          ["XREAD", "BLOCK", "0", "STREAMS", "a", "$"],
          ["EXEC"],
        ],
        false,
      );
      for (const args of [
        ["XINFO", "STREAM", "a", "FULL"],
        ["XINFO", "CONSUMERS", "a", "g"],
        ["XPENDING", "a", "g", "-", "+", "10"],
      ] as Cmd[])
        await sameMasked(args);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  it("runs stream commands inside MULTI/EXEC and sees WATCH broken by stream writes", async () => {
    await run([
      ["XADD", "m", "1-0", "f", 1],
      ["MULTI"],
      ["XADD", "m", "2-0", "f", 2],
      ["XDEL", "m", "1-0"],
      ["XGROUP", "CREATE", "m", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "m", ">"],
      ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "m", ">"],
      ["XLEN", "m"],
      ["EXEC"],
    ]);
    // WATCH: XADD, XDEL and XTRIM touch the key; XGROUP and XREADGROUP do not (as in Redis).
    for (const write of [
      ["XADD", "m", "9-0", "f", 9],
      ["XDEL", "m", "2-0"],
      ["XTRIM", "m", "MAXLEN", "0"],
      ["XGROUP", "CREATECONSUMER", "m", "g", "someone"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "m", "0"],
      ["XSETID", "m", "100-0"],
    ] as Cmd[]) {
      await run([["WATCH", "m"], write, ["MULTI"], ["PING"], ["EXEC"]], false);
    }
  });
});
