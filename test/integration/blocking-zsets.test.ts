import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { suiteResources } from "../helpers/suite-resources.js";

/**
 * Blocking sorted-set pops with several real clients on Tandem: FIFO among many waiters on one key,
 * timeouts followed by pipelined commands, CLIENT UNBLOCK, disconnected waiters forgotten, a waiter kept
 * while the key holds another type, and replication (served pops reach the replica as ZPOPMIN/ZPOPMAX;
 * a client blocked on the replica wakes on the master's ZADD). The byte-for-byte comparison with
 * redis-server is test/interop/zsets-blocking-diff.test.ts.
 */

const text = (b: Buffer) => b.toString("latin1");

describe("blocking sorted-set commands", () => {
  const suite = suiteResources();
  const client = suite.client;
  let tandem: ServerProcess;

  before(async () => {
    tandem = suite.track(await startTandem());
  });

  it("serves eight clients blocked on one key in the order they blocked", async () => {
    const admin = await client(tandem);
    await admin.call("DEL", "fifo");
    const replies: Promise<Buffer>[] = [];
    for (let i = 0; i < 8; i++) {
      const w = await client(tandem);
      replies.push(i % 2 === 0 ? w.raw("BZPOPMIN", "fifo", 0) : w.raw("BZPOPMAX", "fifo", "elsewhere", 0));
      await waitBlocked(admin, i + 1);
    }
    // Ten members, scores 0..9: even waiters take the lowest left, odd ones the highest.
    const args: string[] = [];
    for (let s = 0; s < 10; s++) args.push(String(s), `m${s}`);
    assert.equal(await admin.text("ZADD", "fifo", ...args), ":10\r\n");
    const got = (await Promise.all(replies)).map(text);
    const expected = ["m0", "m9", "m1", "m8", "m2", "m7", "m3", "m6"].map((m) => {
      const score = m.slice(1);
      return `*3\r\n$4\r\nfifo\r\n$2\r\n${m}\r\n$1\r\n${score}\r\n`;
    });
    assert.deepEqual(got, expected);
    assert.equal(await admin.text("ZRANGE", "fifo", 0, -1), "*2\r\n$2\r\nm4\r\n$2\r\nm5\r\n");
    await waitBlocked(admin, 0);
  });

  it("times out with a null array (RESP3 null too), then runs the pipelined commands behind it", async () => {
    const c = await client(tandem);
    await c.call("DEL", "none");
    const start = Date.now();
    const replies = await c.pipeline([
      ["BZPOPMIN", "none", "0.15"],
      ["BZMPOP", "0.1", 1, "none", "MAX", "COUNT", 2],
      ["PING"],
    ]);
    assert.deepEqual(replies.map(text), ["*-1\r\n", "*-1\r\n", "+PONG\r\n"]);
    assert.ok(Date.now() - start >= 200, "both timeouts elapsed");
    await c.call("HELLO", 3);
    assert.equal(await c.text("BZPOPMAX", "none", "0.05"), "_\r\n");
    await c.call("HELLO", 2);
  });

  it("CLIENT UNBLOCK ends a wait as a timeout or with the UNBLOCKED error", async () => {
    const admin = await client(tandem);
    const w = await client(tandem);
    const id = String(await w.call("CLIENT", "ID"));
    const first = w.raw("BZPOPMIN", "ub", 0);
    await waitBlocked(admin, 1);
    assert.equal(await admin.text("CLIENT", "UNBLOCK", id), ":1\r\n");
    assert.equal(text(await first), "*-1\r\n");
    const second = w.raw("BZMPOP", 0, 1, "ub", "MIN");
    await waitBlocked(admin, 1);
    assert.equal(await admin.text("CLIENT", "UNBLOCK", id, "ERROR"), ":1\r\n");
    assert.equal(text(await second), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    await waitBlocked(admin, 0);
  });

  it("forgets a waiter that disconnects and keeps one while the key holds another type", async () => {
    const admin = await client(tandem);
    const gone = await client(tandem);
    const waiter = await client(tandem);
    await admin.call("DEL", "dk");
    void gone.raw("BZPOPMIN", "dk", 0).catch(() => {});
    await waitBlocked(admin, 1);
    const reply = waiter.raw("BZMPOP", 0, 1, "dk", "MAX", "COUNT", 5);
    await waitBlocked(admin, 2);
    gone.close();
    await waitBlocked(admin, 1);
    await admin.call("RPUSH", "dk", "a-list");
    assert.equal(await infoField(admin, "clients", "blocked_clients"), "1");
    await admin.call("DEL", "dk");
    await admin.call("ZADD", "dk", 1, "x", 2, "y");
    // The disconnected client would have been first: the remaining waiter gets both members.
    assert.equal(
      text(await reply),
      "*2\r\n$2\r\ndk\r\n*2\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
    );
    assert.equal(await admin.text("EXISTS", "dk"), ":0\r\n");
  });

  it("propagates served pops as ZPOPMIN/ZPOPMAX and wakes replica clients by the replication stream", async () => {
    const replica = suite.track(
      await startTandem({
        args: ["--replicaof", "127.0.0.1", String(tandem.port), "--replica-read-only", "no"],
      }),
    );
    const m = await client(tandem);
    const r = await client(replica);
    await waitLinkUp(r);
    await m.call("DEL", "rz", "rz2", "onreplica");
    const w1 = await client(tandem);
    const w2 = await client(tandem);
    const p1 = w1.raw("BZPOPMAX", "rz", 0);
    await waitBlocked(m, 1);
    const p2 = w2.raw("BZMPOP", 0, 2, "rz2", "rz", "MIN", "COUNT", 2);
    await waitBlocked(m, 2);
    await m.call("ZADD", "rz", 1, "a", 2, "b", 3, "c", 4, "d");
    assert.equal(text(await p1), "*3\r\n$2\r\nrz\r\n$1\r\nd\r\n$1\r\n4\r\n");
    assert.equal(
      text(await p2),
      "*2\r\n$2\r\nrz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("ZRANGE", "rz", 0, -1, "WITHSCORES"), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    // A client blocked on the replica wakes when the master's ZADD arrives through the stream.
    const rw = await client(replica);
    const onReplica = rw.raw("BZPOPMIN", "onreplica", 0);
    await waitBlocked(r, 1);
    await m.call("ZADD", "onreplica", 5, "from-master");
    assert.equal(text(await onReplica), "*3\r\n$9\r\nonreplica\r\n$11\r\nfrom-master\r\n$1\r\n5\r\n");
  });
});
