import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { suiteResources } from "../helpers/suite-resources.js";

/**
 * Blocking list commands with real clients: FIFO order among waiters, timeouts, wake-up by a push, by a
 * push inside MULTI/EXEC (served after EXEC), chained BLMOVE, disconnects, and wake-up by a push from the
 * replication stream; the served pops reach replicas as plain LPOP/LMOVE. Scenarios that Redis can run
 * too are run on both servers and their replies compared.
 */

const text = (b: Buffer) => b.toString("latin1");

describe("blocking list commands", () => {
  const suite = suiteResources();
  const client = suite.client;
  let tandem: ServerProcess;

  before(async () => {
    tandem = suite.track(await startTandem());
  });

  /** Three clients block on one key in turn; one push of three elements serves them in blocking order. */
  async function fifoScenario(server: ServerProcess): Promise<string[]> {
    const admin = await client(server);
    await admin.call("DEL", "q");
    const waiters = [await client(server), await client(server), await client(server)];
    const replies: Promise<Buffer>[] = [];
    for (let i = 0; i < waiters.length; i++) {
      replies.push(waiters[i].raw(i === 1 ? "BRPOP" : "BLPOP", "other", "q", 0));
      await waitBlocked(admin, i + 1);
    }
    assert.equal(await admin.text("RPUSH", "q", "a", "b", "c", "d"), ":4\r\n");
    const out = (await Promise.all(replies)).map(text);
    out.push(await admin.text("LRANGE", "q", 0, -1));
    await waitBlocked(admin, 0);
    return out;
  }

  it("serves waiting clients in the order they blocked (FIFO), each with its own end", async () => {
    const got = await fifoScenario(tandem);
    assert.deepEqual(got, [
      "*2\r\n$1\r\nq\r\n$1\r\na\r\n",
      "*2\r\n$1\r\nq\r\n$1\r\nd\r\n",
      "*2\r\n$1\r\nq\r\n$1\r\nb\r\n",
      "*1\r\n$1\r\nc\r\n",
    ]);
  });

  it("FIFO serving matches redis-server's", { skip: NO_REDIS }, async () => {
    const redis = suite.track(await startRedis());
    assert.deepEqual(await fifoScenario(tandem), await fifoScenario(redis));
  });

  it("times out with a null array, then runs the commands pipelined behind it", async () => {
    const c = await client(tandem);
    await c.call("DEL", "empty");
    const start = Date.now();
    const replies = await c.pipeline([
      ["BLPOP", "empty", "0.2"],
      ["BLMOVE", "empty", "x", "LEFT", "LEFT", "0.1"],
      ["PING"],
    ]);
    assert.deepEqual(replies.map(text), ["*-1\r\n", "*-1\r\n", "+PONG\r\n"]);
    assert.ok(Date.now() - start >= 250, "both timeouts elapsed");
    // RESP3 clients get the RESP3 null.
    await c.call("HELLO", 3);
    assert.equal(await c.text("BLMPOP", "0.05", 1, "empty", "LEFT"), "_\r\n");
    await c.call("HELLO", 2);
  });

  it("wakes a waiter by a push inside MULTI/EXEC only after EXEC, and not when EXEC leaves the key empty", async () => {
    const admin = await client(tandem);
    const waiter = await client(tandem);
    await admin.call("DEL", "mq");
    const reply = waiter.raw("BLPOP", "mq", 0);
    await waitBlocked(admin, 1);
    // A transaction that pushes and pops again: nothing left, the waiter keeps waiting.
    const t1 = await admin.pipeline([["MULTI"], ["RPUSH", "mq", "gone"], ["LPOP", "mq"], ["EXEC"]]);
    assert.equal(text(t1[3]), "*2\r\n:1\r\n$4\r\ngone\r\n");
    assert.equal(await infoField(admin, "clients", "blocked_clients"), "1");
    // A transaction that pushes two: the waiter gets the first after EXEC, the second stays.
    await admin.call("MULTI");
    await admin.call("RPUSH", "mq", "x");
    assert.equal(await admin.text("RPUSH", "mq", "y"), "+QUEUED\r\n");
    assert.equal(await admin.text("EXEC"), "*2\r\n:1\r\n:2\r\n");
    assert.equal(text(await reply), "*2\r\n$2\r\nmq\r\n$1\r\nx\r\n");
    assert.equal(await admin.text("LRANGE", "mq", 0, -1), "*1\r\n$1\r\ny\r\n");
  });

  it("serves BLMOVE, and its push wakes a client blocked on the destination", async () => {
    const admin = await client(tandem);
    const mover = await client(tandem);
    const popper = await client(tandem);
    await admin.call("DEL", "src", "dst");
    const popped = popper.raw("BLPOP", "dst", 0);
    await waitBlocked(admin, 1);
    const moved = mover.raw("BLMOVE", "src", "dst", "RIGHT", "LEFT", 0);
    await waitBlocked(admin, 2);
    await admin.call("RPUSH", "src", "v1", "v2");
    assert.equal(text(await moved), "$2\r\nv2\r\n");
    assert.equal(text(await popped), "*2\r\n$3\r\ndst\r\n$2\r\nv2\r\n");
    assert.equal(await admin.text("LRANGE", "src", 0, -1), "*1\r\n$2\r\nv1\r\n");
    assert.equal(await admin.text("EXISTS", "dst"), ":0\r\n");
  });

  it("serves BLMPOP with its count and BRPOPLPUSH", async () => {
    const admin = await client(tandem);
    const a = await client(tandem);
    const b = await client(tandem);
    await admin.call("DEL", "k1", "k2", "k3");
    const ra = a.raw("BLMPOP", 0, 2, "k1", "k2", "LEFT", "COUNT", 2);
    await waitBlocked(admin, 1);
    const rb = b.raw("BRPOPLPUSH", "k2", "k3", 0);
    await waitBlocked(admin, 2);
    await admin.call("RPUSH", "k2", "1", "2", "3", "4");
    assert.equal(text(await ra), "*2\r\n$2\r\nk2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert.equal(text(await rb), "$1\r\n4\r\n");
    assert.equal(await admin.text("LRANGE", "k3", 0, -1), "*1\r\n$1\r\n4\r\n");
  });

  it("keeps waiting while the key holds another type, and forgets a waiter that disconnects", async () => {
    const admin = await client(tandem);
    const gone = await client(tandem);
    const waiter = await client(tandem);
    await admin.call("DEL", "wk");
    void gone.raw("BLPOP", "wk", 0).catch(() => {});
    await waitBlocked(admin, 1);
    const reply = waiter.raw("BLPOP", "wk", 0);
    await waitBlocked(admin, 2);
    gone.close();
    await waitBlocked(admin, 1);
    await admin.call("SET", "wk", "string");
    await admin.call("DEL", "wk");
    await admin.call("LPUSH", "wk", "v");
    assert.equal(text(await reply), "*2\r\n$2\r\nwk\r\n$1\r\nv\r\n");
    assert.equal(await admin.text("EXISTS", "wk"), ":0\r\n");
  });

  it("wakes a waiter when RENAME or MOVE puts a list under its key", async () => {
    const admin = await client(tandem);
    const waiter = await client(tandem);
    await admin.call("DEL", "renamed", "tmp");
    const reply = waiter.raw("BLPOP", "renamed", 0);
    await waitBlocked(admin, 1);
    await admin.call("RPUSH", "tmp", "r1", "r2");
    assert.equal(await admin.text("RENAME", "tmp", "renamed"), "+OK\r\n");
    assert.equal(text(await reply), "*2\r\n$7\r\nrenamed\r\n$2\r\nr1\r\n");
    const moved = waiter.raw("BRPOP", "tomove", 0);
    await waitBlocked(admin, 1);
    await admin.call("SELECT", 1);
    await admin.call("RPUSH", "tomove", "m1");
    assert.equal(await admin.text("MOVE", "tomove", 0), ":1\r\n");
    await admin.call("SELECT", 0);
    assert.equal(text(await moved), "*2\r\n$6\r\ntomove\r\n$2\r\nm1\r\n");
  });

  it("ends a block on CLIENT UNBLOCK with the timeout reply or the UNBLOCKED error", async () => {
    const admin = await client(tandem);
    const waiter = await client(tandem);
    const id = Number(await waiter.call("CLIENT", "ID"));
    await admin.call("DEL", "ub");
    const first = waiter.raw("BLPOP", "ub", 0);
    await waitBlocked(admin, 1);
    assert.equal(await admin.text("CLIENT", "UNBLOCK", id), ":1\r\n");
    assert.equal(text(await first), "*-1\r\n");
    const second = waiter.raw("BLMOVE", "ub", "ub2", "LEFT", "LEFT", 0);
    await waitBlocked(admin, 1);
    assert.equal(await admin.text("CLIENT", "UNBLOCK", id, "ERROR"), ":1\r\n");
    assert.equal(text(await second), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    await waitBlocked(admin, 0);
    // Nothing stays registered: a later push is not consumed by the unblocked client.
    await admin.call("RPUSH", "ub", "kept");
    assert.equal(await admin.text("LRANGE", "ub", 0, -1), "*1\r\n$4\r\nkept\r\n");
  });

  it("propagates served pops as LPOP/LMOVE and wakes replica clients by the replication stream", async () => {
    const replica = suite.track(
      await startTandem({
        args: ["--replicaof", "127.0.0.1", String(tandem.port), "--replica-read-only", "no"],
      }),
    );
    const m = await client(tandem);
    const r = await client(replica);
    await waitLinkUp(r);
    await m.call("DEL", "rq", "rsrc", "rdst", "onreplica");
    // Served on the master: the replica must end with the same lists.
    const w1 = await client(tandem);
    const w2 = await client(tandem);
    const p1 = w1.raw("BRPOP", "rq", 0);
    await waitBlocked(m, 1);
    const p2 = w2.raw("BLMOVE", "rsrc", "rdst", "LEFT", "RIGHT", 0);
    await waitBlocked(m, 2);
    await m.call("RPUSH", "rq", "a", "b", "c");
    await m.call("RPUSH", "rsrc", "x", "y");
    assert.equal(text(await p1), "*2\r\n$2\r\nrq\r\n$1\r\nc\r\n");
    assert.equal(text(await p2), "$1\r\nx\r\n");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("LRANGE", "rq", 0, -1), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert.equal(await r.text("LRANGE", "rsrc", 0, -1), "*1\r\n$1\r\ny\r\n");
    assert.equal(await r.text("LRANGE", "rdst", 0, -1), "*1\r\n$1\r\nx\r\n");
    // A client blocked on the replica wakes when the master's push arrives through the stream.
    const rw = await client(replica);
    const onReplica = rw.raw("BLPOP", "onreplica", 0);
    await waitBlocked(r, 1);
    await m.call("RPUSH", "onreplica", "from-master");
    assert.equal(text(await onReplica), "*2\r\n$9\r\nonreplica\r\n$11\r\nfrom-master\r\n");
  });
});
