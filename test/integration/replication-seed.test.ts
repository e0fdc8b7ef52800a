import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import {
  infoField,
  infoSection,
  startReplicaOf,
  waitLinkUp,
  waitOffsetsEqual,
} from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The seed's walkthrough, automated: three servers from config/redis6379.conf, redis6380.conf and
 * redis6381.conf (ports and dirs overridden for the test), SLAVEOF on the two replicas, INFO replication on
 * each, SET on the master and GET on both replicas; plus a replica that joins after data exists, READONLY,
 * replica-read-only no, WAIT and WAITOFFSET.
 */

const conf = (n: number) => join(REPO_ROOT, "config", `redis${n}.conf`);
const FAST = ["--repl-diskless-sync-delay", "0"];

/** The fields and order the seed shows for a master, with Redis 7.0's master_failover_state. */
const MASTER_FIELDS = [
  "role",
  "connected_slaves",
  "slave0",
  "slave1",
  "master_failover_state",
  "master_replid",
  "master_replid2",
  "master_repl_offset",
  "second_repl_offset",
  "repl_backlog_active",
  "repl_backlog_size",
  "repl_backlog_first_byte_offset",
  "repl_backlog_histlen",
];

/** The seed's replica fields plus Redis 7.0's slave_read_repl_offset, replica_announced, master_failover_state. */
const REPLICA_FIELDS = [
  "role",
  "master_host",
  "master_port",
  "master_link_status",
  "master_last_io_seconds_ago",
  "master_sync_in_progress",
  "slave_read_repl_offset",
  "slave_repl_offset",
  "slave_priority",
  "slave_read_only",
  "replica_announced",
  "connected_slaves",
  "master_failover_state",
  "master_replid",
  "master_replid2",
  "master_repl_offset",
  "second_repl_offset",
  "repl_backlog_active",
  "repl_backlog_size",
  "repl_backlog_first_byte_offset",
  "repl_backlog_histlen",
];

describe("replication: the seed's three-instance walkthrough", () => {
  let master: ServerProcess;
  let r1: ServerProcess;
  let r2: ServerProcess;
  let m: RawClient;
  let c1: RawClient;
  let c2: RawClient;

  before(async () => {
    master = await startTandem({ configFile: conf(6379), args: FAST });
    // The replicas' files say `slaveof 127.0.0.1 6379`; the test's master is elsewhere, so override it.
    const replicaArgs = ["--replicaof", "127.0.0.1", String(master.port)];
    r1 = await startTandem({ configFile: conf(6380), args: replicaArgs });
    r2 = await startTandem({ configFile: conf(6381), args: replicaArgs });
    m = await master.client();
    c1 = await r1.client();
    c2 = await r2.client();
  });

  after(async () => {
    for (const c of [m, c1, c2]) c?.close();
    await Promise.all([r1?.stop(), r2?.stop(), master?.stop()]);
  });

  it("SLAVEOF on both replicas: OK, and both links come up", async () => {
    for (const c of [c1, c2]) {
      assert.equal(
        await c.text("SLAVEOF", "127.0.0.1", master.port),
        "+OK Already connected to specified master\r\n",
      );
      await waitLinkUp(c);
    }
  });

  it("INFO replication prints the seed's fields in the seed's order on the master and the replicas", async () => {
    await waitOffsetsEqual(m, [c1, c2]);
    await waitFor(
      "both replicas online",
      async () => Number(await infoField(m, "replication", "connected_slaves")) === 2,
    );
    const mf = await infoSection(m, "replication");
    assert.deepEqual(
      mf.map(([k]) => k),
      MASTER_FIELDS,
    );
    const info = new Map(mf);
    assert.equal(info.get("role"), "master");
    assert.match(info.get("master_replid")!, /^[0-9a-f]{40}$/);
    assert.equal(info.get("master_replid2"), "0".repeat(40));
    assert.equal(info.get("second_repl_offset"), "-1");
    assert.equal(info.get("repl_backlog_active"), "1");
    assert.equal(info.get("repl_backlog_size"), "1048576");
    assert.equal(info.get("repl_backlog_first_byte_offset"), "1");
    const ports = [info.get("slave0"), info.get("slave1")].map((s) => /port=(\d+)/.exec(s!)![1]).sort();
    assert.deepEqual(ports, [String(r1.port), String(r2.port)].sort());
    assert.match(info.get("slave0")!, /^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);

    for (const c of [c1, c2]) {
      const rf = await infoSection(c, "replication");
      assert.deepEqual(
        rf.map(([k]) => k),
        REPLICA_FIELDS,
      );
      const ri = new Map(rf);
      assert.equal(ri.get("role"), "slave");
      assert.equal(ri.get("master_host"), "127.0.0.1");
      assert.equal(ri.get("master_port"), String(master.port));
      assert.equal(ri.get("master_link_status"), "up");
      assert.equal(ri.get("slave_read_only"), "1");
      assert.equal(ri.get("master_replid"), info.get("master_replid"));
      assert.equal(ri.get("master_repl_offset"), ri.get("slave_repl_offset"));
    }
  });

  it("a SET on the master can be read on both replicas", async () => {
    assert.equal(await m.text("SET", "seed-key", "hello"), "+OK\r\n");
    await waitOffsetsEqual(m, [c1, c2]);
    assert.equal(await c1.text("GET", "seed-key"), "$5\r\nhello\r\n");
    assert.equal(await c2.text("GET", "seed-key"), "$5\r\nhello\r\n");
  });

  it("the master's offset grows by exactly the stream bytes of a write (SELECT only when the db changes)", async () => {
    const before = Number(await infoField(m, "replication", "master_repl_offset"));
    await m.call("SET", "k", "v"); // db 0 was selected by the previous write
    const after1 = Number(await infoField(m, "replication", "master_repl_offset"));
    assert.equal(after1 - before, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".length);
    await m.call("SELECT", 5);
    await m.call("SET", "k", "v");
    await m.call("SELECT", 0);
    const after2 = Number(await infoField(m, "replication", "master_repl_offset"));
    assert.equal(
      after2 - after1,
      "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".length,
    );
    await waitOffsetsEqual(m, [c1, c2]);
    await c1.call("SELECT", 5);
    assert.equal(await c1.text("GET", "k"), "$1\r\nv\r\n");
    await c1.call("SELECT", 0);
  });

  it("writes on a replica are refused with READONLY; replica-read-only no allows them", async () => {
    assert.equal(
      await c1.text("SET", "x", "1"),
      "-READONLY You can't write against a read only replica.\r\n",
    );
    assert.equal(await c1.text("CONFIG", "SET", "replica-read-only", "no"), "+OK\r\n");
    assert.equal(await c1.text("SET", "x", "1"), "+OK\r\n");
    assert.equal(await c1.text("GET", "x"), "$1\r\n1\r\n");
    assert.equal(await infoField(c1, "replication", "slave_read_only"), "0");
    assert.equal(await c1.text("CONFIG", "SET", "replica-read-only", "yes"), "+OK\r\n");
  });

  it("a replica that joins after data exists gets all of it", async () => {
    const pairs: string[] = [];
    for (let i = 0; i < 500; i++) pairs.push(`pre:${i}`, `value-${i}`);
    await m.call("MSET", ...pairs);
    await m.call("SET", "with-ttl", "v", "EX", "1000");
    const late = await startReplicaOf(master);
    const lc = await late.client();
    try {
      await waitLinkUp(lc);
      await waitOffsetsEqual(m, [lc]);
      assert.equal(await lc.text("DBSIZE"), await m.text("DBSIZE"));
      assert.equal(await lc.text("GET", "pre:499"), "$9\r\nvalue-499\r\n");
      const ttl = Number(await lc.call("TTL", "with-ttl"));
      assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
    } finally {
      lc.close();
      await late.stop();
    }
  });

  it("WAIT counts replicas that acknowledged the client's last write", async () => {
    await m.call("SET", "w", "1");
    assert.equal(await m.text("WAIT", 2, 5000), ":2\r\n");
    // More replicas than exist: answers at the timeout with the count that acknowledged.
    assert.equal(await m.text("WAIT", 3, 200), ":2\r\n");
    assert.equal(
      await c1.text("WAIT", 1, 0),
      "-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n",
    );
    assert.equal(await m.text("WAIT", 1, -1), "-ERR timeout is negative\r\n");
  });

  it("WAITOFFSET answers at once when reached, blocks only the caller until the offset arrives, and times out", async () => {
    // The master's periodic PING to its replicas moves every offset by 14 bytes at any moment: the exact
    // comparisons are taken again if one fell in between.
    let off = 0;
    await waitFor(
      "WAITOFFSET 0 0 on a replica and WAITOFFSET <offset> 0 on the master to answer the offset",
      async () => {
        off = await waitOffsetsEqual(m, [c1, c2]);
        return (
          (await c1.text("WAITOFFSET", 0, 0)) === `:${off}\r\n` &&
          (await m.text("WAITOFFSET", off, 0)) === `:${off}\r\n`
        );
      },
    );
    // Times out with the current offset.
    const timedOut = Number((await c1.text("WAITOFFSET", off + 1_000_000, 100)).slice(1));
    assert.ok(timedOut >= off && timedOut < off + 1_000_000, `timed out with ${timedOut}, the offset then`);
    // Blocks until the write arrives; another client on the same replica is not blocked meanwhile.
    const waiting = c1.raw("WAITOFFSET", off + 1, 10_000);
    assert.equal(await c2.text("PING"), "+PONG\r\n");
    const other = await r1.client();
    assert.equal(await other.text("GET", "seed-key"), "$5\r\nhello\r\n");
    other.close();
    await m.call("SET", "after-wait", "1");
    const got = Number((await waiting).toString().slice(1));
    assert.ok(got >= off + 1, `WAITOFFSET returned ${got}`);
    assert.equal(await c1.text("GET", "after-wait"), "$1\r\n1\r\n");
  });

  it("ROLE describes both sides", async () => {
    const off = await waitOffsetsEqual(m, [c1, c2]);
    const role = (await m.call("ROLE")) as unknown[];
    assert.equal(String(role[0]), "master");
    assert.equal(role[1], off);
    assert.equal((role[2] as unknown[]).length, 2);
    assert.equal(
      await c1.text("ROLE"),
      `*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:${master.port}\r\n$9\r\nconnected\r\n:${off}\r\n`,
    );
  });
});
