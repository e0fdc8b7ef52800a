import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * Keyspace notifications raised by the string and keyspace commands, against redis-server: the same
 * commands must publish the same events (names, keys, dbs) in the same order. This guards every
 * `modified(...)`/`notifyKeyspaceEvent` call in keys.ts and strings.ts.
 */

describe("keyspace events of string and key commands vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;
  let tSub: RawClient;
  let rSub: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([
      startTandem({ args: ["--notify-keyspace-events", "KEA"] }),
      startRedis({ args: ["--notify-keyspace-events", "KEA"] }),
    ]);
    [t, r, tSub, rSub] = await Promise.all([
      tandem.client(),
      redis.client(),
      tandem.client(),
      redis.client(),
    ]);
    await Promise.all([
      tSub.sendRaw("*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\n__key*__:*\r\n"),
      rSub.sendRaw("*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\n__key*__:*\r\n"),
    ]);
    await Promise.all([
      tSub.sendRaw("*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nend\r\n"),
      rSub.sendRaw("*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nend\r\n"),
    ]);
  });

  after(async () => {
    for (const c of [t, r, tSub, rSub]) c?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  /** Every message a subscriber received up to the "end" marker. */
  async function eventsUntilEnd(sub: RawClient): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const [f] = await sub.read(1);
      const text = f.toString("latin1");
      if (text.includes("$3\r\nend\r\n")) return out;
      out.push(text);
    }
    throw new Error("no end marker");
  }

  async function eventsOf(cmds: Cmd[]): Promise<void> {
    await sameSequence(t, r, [["FLUSHALL"], ...cmds, ["PUBLISH", "end", "x"]]);
    const [a, b] = await Promise.all([eventsUntilEnd(tSub), eventsUntilEnd(rSub)]);
    assert.deepEqual(a, b);
    assert.ok(a.length > 0, "some events were published");
  }

  it("string commands", async () => {
    await eventsOf([
      ["SET", "a", "1"],
      ["SET", "a", "2", "EX", 100],
      ["SET", "a", "3", "KEEPTTL", "GET"],
      ["SETNX", "b", "1"],
      ["SETNX", "b", "2"],
      ["SETEX", "c", 100, "v"],
      ["PSETEX", "c", 100000, "v"],
      ["MSET", "d", 1, "e", 2],
      ["MSETNX", "f", 1, "g", 2],
      ["GETSET", "d", 5],
      ["GETDEL", "e"],
      ["GETEX", "d", "EX", 100],
      ["GETEX", "d", "PERSIST"],
      ["GETEX", "d", "PXAT", 1],
      ["INCR", "n"],
      ["DECRBY", "n", 5],
      ["INCRBYFLOAT", "n", "1.5"],
      ["APPEND", "s", "x"],
      ["SETRANGE", "s", 3, "y"],
      ["SETRANGE", "s", 0, ""],
      ["SETBIT", "bits", 3, 1],
      ["SETBIT", "bits", 3, 1],
      ["BITOP", "OR", "dest", "bits", "s"],
      ["BITOP", "AND", "dest", "nosuch"],
    ]);
  });

  it("keyspace commands", async () => {
    await eventsOf([
      ["SET", "a", "1"],
      ["SET", "b", "1"],
      ["EXPIRE", "a", 100],
      ["PEXPIRE", "a", 200000, "GT"],
      ["EXPIREAT", "a", 4102444800],
      ["PERSIST", "a"],
      ["RENAME", "a", "a2"],
      ["RENAMENX", "a2", "b"],
      ["RENAMENX", "a2", "a3"],
      ["MOVE", "a3", 1],
      ["COPY", "b", "b2"],
      ["COPY", "b", "b3", "DB", 2],
      ["DEL", "b", "nosuch"],
      ["UNLINK", "b2"],
      ["EXPIRE", "b3", -1],
      ["SET", "x", "1"],
      ["EXPIRE", "x", 0],
      ["SWAPDB", 0, 1],
    ]);
  });
});
