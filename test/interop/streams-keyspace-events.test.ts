import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * Keyspace notifications raised by the stream commands, against redis-server: the same commands publish
 * the same events (xadd, xtrim, xdel, xsetid, xgroup-create/-setid/-destroy/-createconsumer/-delconsumer,
 * including consumers created by XREADGROUP, XCLAIM and XAUTOCLAIM) for the same keys, in the same order.
 */

describe("keyspace events of stream commands vs redis-server", { skip: NO_REDIS }, () => {
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
    for (const sub of [tSub, rSub]) {
      await sub.sendRaw("*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\n__key*__:*\r\n");
      await sub.sendRaw("*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nend\r\n");
    }
  });

  after(async () => {
    for (const c of [t, r, tSub, rSub]) c?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

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

  it("publishes Redis 7.0's stream events", async () => {
    const cmds: Cmd[] = [
      ["FLUSHALL"],
      ["XADD", "s", "1-0", "f", "v"],
      ["XADD", "s", "2-0", "f", "v"],
      ["XADD", "s", "MAXLEN", "1", "3-0", "f", "v"],
      ["XADD", "s", "MAXLEN", "~", "1", "4-0", "f", "v"],
      ["XADD", "s", "1-0", "f", "v"],
      ["XADD", "nokey", "NOMKSTREAM", "*", "f", "v"],
      ["XTRIM", "s", "MAXLEN", "5"],
      ["XTRIM", "s", "MAXLEN", "1"],
      ["XDEL", "s", "9-9"],
      ["XDEL", "s", "4-0"],
      ["XSETID", "s", "10-0"],
      ["XGROUP", "CREATE", "s", "g", "0"],
      ["XGROUP", "CREATE", "s", "g", "0"],
      ["XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM"],
      ["XGROUP", "SETID", "s", "g", "0"],
      ["XGROUP", "CREATECONSUMER", "s", "g", "c0"],
      ["XGROUP", "CREATECONSUMER", "s", "g", "c0"],
      ["XADD", "s", "11-0", "f", "v"],
      ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"],
      ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"],
      ["XCLAIM", "s", "g", "c2", "0", "11-0"],
      ["XAUTOCLAIM", "s", "g", "c3", "0", "0"],
      ["XACK", "s", "g", "11-0"],
      ["XGROUP", "DELCONSUMER", "s", "g", "c1"],
      ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
      ["XGROUP", "DESTROY", "s", "g"],
      ["XGROUP", "DESTROY", "s", "g"],
      ["DEL", "s"],
      ["PUBLISH", "end", "x"],
    ];
    await sameSequence(t, r, cmds);
    const [a, b] = await Promise.all([eventsUntilEnd(tSub), eventsUntilEnd(rSub)]);
    assert.deepEqual(a, b);
    assert.ok(
      a.some((e) => e.includes("xgroup-createconsumer")),
      "consumer events were published",
    );
  });
});
