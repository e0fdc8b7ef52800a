import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { suiteResources } from "../helpers/suite-resources.js";

/**
 * Blocking XREAD/XREADGROUP with several real clients on Tandem: eight group readers served one entry
 * each in the order they blocked, plain readers on several keys, a deadline beyond Node's longest timer,
 * a timeout followed by pipelined commands, a disconnected waiter forgotten. The byte-for-byte comparison
 * with redis-server is test/interop/streams-blocking-diff.test.ts; a reader on a replica woken by
 * replication is in test/interop/streams-replication.test.ts.
 */

const text = (b: Buffer) => b.toString("latin1");

describe("blocking stream reads", () => {
  const suite = suiteResources();
  const client = suite.client;
  let tandem: ServerProcess;

  before(async () => {
    tandem = suite.track(await startTandem());
  });

  it("serves eight group readers one entry each, in the order they blocked", async () => {
    const admin = await client(tandem);
    await admin.call("XGROUP", "CREATE", "fifo", "g", "$", "MKSTREAM");
    const replies: Promise<Buffer>[] = [];
    for (let i = 0; i < 8; i++) {
      const w = await client(tandem);
      replies.push(
        w.raw("XREADGROUP", "GROUP", "g", `c${i}`, "COUNT", 1, "BLOCK", 0, "STREAMS", "fifo", ">"),
      );
      await waitBlocked(admin, i + 1);
    }
    const tx = [
      ["MULTI"],
      ...Array.from({ length: 8 }, (_, i) => ["XADD", "fifo", `${i + 1}-0`, "n", String(i)]),
      ["EXEC"],
    ];
    await admin.pipeline(tx);
    const got = (await Promise.all(replies)).map(text);
    const expected = Array.from(
      { length: 8 },
      (_, i) => `*1\r\n*2\r\n$4\r\nfifo\r\n*1\r\n*2\r\n$3\r\n${i + 1}-0\r\n*2\r\n$1\r\nn\r\n$1\r\n${i}\r\n`,
    );
    assert.deepEqual(got, expected);
    // Each consumer owns the entry it was served.
    const pending = (await admin.call("XPENDING", "fifo", "g", "-", "+", 10)) as [Buffer, Buffer][];
    assert.deepEqual(
      pending.map((row) => `${text(row[0])} ${text(row[1])}`),
      Array.from({ length: 8 }, (_, i) => `${i + 1}-0 c${i}`),
    );
    await waitBlocked(admin, 0);
  });

  it("serves plain readers on several keys from whichever key gets an entry first", async () => {
    const admin = await client(tandem);
    await admin.call("DEL", "k1", "k2", "k3");
    const a = await client(tandem);
    const b = await client(tandem);
    const pa = a.raw("XREAD", "BLOCK", 0, "STREAMS", "k1", "k2", "$", "$");
    await waitBlocked(admin, 1);
    const pb = b.raw("XREAD", "COUNT", 5, "BLOCK", 0, "STREAMS", "k3", "k2", "$", "$");
    await waitBlocked(admin, 2);
    await admin.call("XADD", "k2", "5-0", "f", "v");
    const entry = "*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
    assert.equal(text(await pa), `*1\r\n*2\r\n$2\r\nk2\r\n*1\r\n${entry}`);
    assert.equal(text(await pb), `*1\r\n*2\r\n$2\r\nk2\r\n*1\r\n${entry}`);
  });

  it("honours a BLOCK deadline longer than Node's longest timer (2^31 ms)", async () => {
    const admin = await client(tandem);
    const w = await client(tandem);
    await admin.call("DEL", "far");
    const p = w.raw("XREAD", "BLOCK", "3000000000", "STREAMS", "far", "$");
    await waitBlocked(admin, 1);
    await admin.call("XADD", "far", "1-0", "f", "v");
    // Had the timer fired at once, the reply would have been a null array before the XADD.
    assert.equal(
      text(await p),
      "*1\r\n*2\r\n$3\r\nfar\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
  });

  it("times out with a null array, then runs the pipelined commands behind it", async () => {
    const c = await client(tandem);
    await c.call("DEL", "none");
    await c.call("XGROUP", "CREATE", "none", "g", "$", "MKSTREAM");
    const replies = await c.pipeline([
      ["XREAD", "BLOCK", 40, "STREAMS", "none", "$"],
      ["XREADGROUP", "GROUP", "g", "c", "BLOCK", 30, "STREAMS", "none", ">"],
      ["PING"],
    ]);
    assert.deepEqual(replies.map(text), ["*-1\r\n", "*-1\r\n", "+PONG\r\n"]);
  });

  it("forgets a waiter that disconnects", async () => {
    const admin = await client(tandem);
    const w = await tandem.client();
    void w.raw("XREAD", "BLOCK", 0, "STREAMS", "gone", "$").catch(() => {});
    await waitBlocked(admin, 1);
    w.close();
    await waitBlocked(admin, 0);
    assert.match(text(await admin.raw("XADD", "gone", "1-0", "f", "v")), /^\$3\r\n1-0/);
  });
});
