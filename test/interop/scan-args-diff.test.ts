import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * The arguments SCAN, HSCAN, SSCAN and ZSCAN share (src/server/commands/scan-args.ts) against Debian's
 * redis-server 7.0: strtoul's cursor rules (sign, wrap-around, ULONG_MAX, empty text), COUNT over the
 * whole 64-bit range, MATCH, TYPE only for SCAN, options missing their value; and the errno the
 * cursor parse leaves behind, which a later SORT sees.
 */

type Cmd = (string | number)[];

describe("SCAN-family arguments vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    ({ tandem, redis, t, r } = await startDiffPair());
  });

  after(() => stopDiffPair({ tandem, redis, t, r }));

  /**
   * Like `same`, but a SCAN page's keys (in hash order on Redis) are compared sorted; errors and other
   * replies byte for byte.
   */
  async function sameScan(cmd: Cmd): Promise<void> {
    if (cmd[0] !== "SCAN") {
      await same(t, r, cmd);
      return;
    }
    const [a, b] = await Promise.all([t.raw(...cmd), r.raw(...cmd)]);
    const canon = (frame: Buffer): string => {
      const v = RespDecoder.decodeAll(frame)[0];
      if (!Array.isArray(v) || !Array.isArray(v[1])) return frame.toString("latin1");
      const keys = v[1].map((k) => (k instanceof Buffer ? k.toString("latin1") : String(k))).sort();
      return `${String(v[0])} ${JSON.stringify(keys)}`;
    };
    assert.equal(canon(a), canon(b), `reply to ${JSON.stringify(cmd)} differs`);
  }

  /** Each family's command with the key it scans, so `scan(cursor, ...opts)` builds the full command. */
  const families: { name: string; scan: (cursor: string, ...opts: (string | number)[]) => Cmd }[] = [
    { name: "SCAN", scan: (cur, ...o) => ["SCAN", cur, ...o] },
    { name: "HSCAN", scan: (cur, ...o) => ["HSCAN", "h", cur, ...o] },
    { name: "SSCAN", scan: (cur, ...o) => ["SSCAN", "s", cur, ...o] },
    { name: "ZSCAN", scan: (cur, ...o) => ["ZSCAN", "z", cur, ...o] },
  ];

  async function setup(): Promise<void> {
    for (const c of [["FLUSHALL"], ["HSET", "h", "a", "1"], ["SADD", "s", "a"], ["ZADD", "z", 1, "a"]])
      await same(t, r, c);
  }

  it("rejects what strtoul would not consume whole, or overflows, with 'invalid cursor'", async () => {
    await setup();
    for (const f of families)
      for (const cur of [
        "+",
        "-",
        " 1",
        "1 ",
        "0x10",
        "1a",
        "18446744073709551616",
        "-18446744073709551616",
        "1.0",
      ])
        await same(t, r, f.scan(cur));
  });

  it("reads '', '-0' and '+0' as cursor 0, and accepts every other ulong", async () => {
    await setup();
    for (const f of families) {
      for (const cur of ["", "-0", "+0", "0", "00"]) await sameScan(f.scan(cur));
      // Any other cursor is valid; where it resumes is each server's own business.
      for (const cur of ["18446744073709551615", "-18446744073709551615", "-1", "+7"])
        await same(t, r, f.scan(cur), { shapeOnly: true });
    }
  });

  it("parses COUNT over the 64-bit range, MATCH, and TYPE only for SCAN", async () => {
    await setup();
    const cases: (string | number)[][] = [
      ["COUNT", "9223372036854775807"],
      ["COUNT", "9223372036854775808"],
      ["COUNT", 0],
      ["COUNT", -1],
      ["COUNT", "x"],
      ["COUNT", "01"],
      ["COUNT"],
      ["MATCH"],
      ["MATCH", "*"],
      ["MATCH", "b*"],
      ["match", "a", "count", 5],
      ["COUNT", 5, "MATCH", "a", "COUNT", 0],
      ["TYPE", "hash"],
      ["TYPE"],
      ["FOO", "bar"],
    ];
    for (const f of families) for (const opts of cases) await sameScan(f.scan("0", ...opts));
    await sameScan(["SCAN", "0", "TYPE", "zset"]);
    await sameScan(["SCAN", "0", "TYPE", "HASH", "COUNT", 100]);
  });

  it("checks the cursor before the key's type, and the key before the options", async () => {
    await setup();
    await same(t, r, ["SET", "str", "v"]);
    for (const cmd of ["HSCAN", "SSCAN", "ZSCAN"]) {
      await same(t, r, [cmd, "str", "x"]);
      await same(t, r, [cmd, "str", "0", "COUNT", 0]);
      await same(t, r, [cmd, "nosuch", "0", "COUNT", 0]);
    }
  });

  it("leaves errno as strtoul does: an overflowing cursor fails a later SORT, a valid one clears it", async () => {
    await setup();
    for (const c of [
      ["SADD", "nums", "3", "1", "2"],
      ["RPUSH", "tiny", "1e-310"],
      ["SORT", "tiny"],
      ["SORT", "nums"],
      ["SCAN", "0"],
      ["SORT", "nums"],
      ["HSCAN", "h", "18446744073709551616"],
      ["SORT", "nums"],
      ["HSCAN", "h", "7"],
      ["SORT", "nums"],
      ["ZSCAN", "z", "99999999999999999999"],
      ["SORT", "nums"],
      ["ZSCAN", "z", "0"],
      ["SORT", "nums"],
    ])
      await sameScan(c);
  });
});
