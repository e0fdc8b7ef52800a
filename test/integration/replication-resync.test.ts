import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import {
  infoField,
  startMasterAndReplica,
  syncStat,
  waitLinkUp,
  waitOffsetsEqual,
} from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Link loss and restarts: a short drop costs only the missing bytes (+CONTINUE, sync_partial_ok grows, no
 * full sync); a gap larger than the backlog needs a full resync; a master that restarts is still the
 * master and its replica reconnects by itself.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];

describe("replication: partial and full resynchronization", () => {
  let master: ServerProcess;
  let replica: ServerProcess;
  let m: RawClient;
  let r: RawClient;

  before(async () => {
    ({ master, replica, m, r } = await startMasterAndReplica(FAST));
    await waitOffsetsEqual(m, [r]);
  });

  after(async () => {
    m?.close();
    r?.close();
    replica?.kill("SIGCONT");
    await Promise.all([replica?.stop(), master?.stop()]);
  });

  /** Freezes the replica, cuts the link from the master's side, runs `whileDown` on the master, thaws it. */
  async function dropLink(whileDown: () => Promise<void>): Promise<void> {
    replica.kill("SIGSTOP");
    try {
      await m.call("CLIENT", "KILL", "TYPE", "replica");
      await waitFor(
        "the master to forget the replica",
        async () => (await infoField(m, "replication", "connected_slaves")) === "0",
      );
      // Written after the cut: the replica can only get these bytes by resynchronizing.
      await whileDown();
    } finally {
      replica.kill("SIGCONT");
    }
    await waitFor(
      "the replica to reattach",
      async () => (await infoField(m, "replication", "connected_slaves")) === "1",
    );
  }

  it("a link drop inside the backlog resyncs partially: sync_partial_ok grows, no full sync", async () => {
    const partial0 = await syncStat(m, "sync_partial_ok");
    const full0 = await syncStat(m, "sync_full");
    await m.call("SET", "before-drop", "1");
    await waitOffsetsEqual(m, [r]);
    await dropLink(async () => {
      for (let i = 0; i < 100; i++) await m.call("SET", `missed:${i}`, `v${i}`);
      await m.call("SELECT", 2);
      await m.call("SET", "missed-in-db2", "x");
      await m.call("SELECT", 0);
    });
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.equal(await syncStat(m, "sync_partial_ok"), partial0 + 1);
    assert.equal(await syncStat(m, "sync_full"), full0);
    assert.equal(await r.text("GET", "missed:99"), "$3\r\nv99\r\n");
    await r.call("SELECT", 2);
    assert.equal(await r.text("GET", "missed-in-db2"), "$1\r\nx\r\n");
    await r.call("SELECT", 0);
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
  });

  it("a gap larger than the backlog needs a full resync (sync_partial_err and sync_full grow)", async () => {
    assert.equal(await m.text("CONFIG", "SET", "repl-backlog-size", "16384"), "+OK\r\n");
    await waitOffsetsEqual(m, [r]);
    const full0 = await syncStat(m, "sync_full");
    const err0 = await syncStat(m, "sync_partial_err");
    const big = "x".repeat(1000);
    await dropLink(async () => {
      for (let i = 0; i < 40; i++) await m.call("SET", `big:${i}`, big);
    });
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.equal(await syncStat(m, "sync_full"), full0 + 1);
    assert.equal(await syncStat(m, "sync_partial_err"), err0 + 1);
    assert.equal(await infoField(m, "replication", "repl_backlog_histlen"), "16384");
    assert.equal(await r.text("STRLEN", "big:39"), ":1000\r\n");
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
  });

  it("a restarted master is still the master and its replica reconnects by itself", async () => {
    const port = master.port;
    const dir = master.dir;
    m.close();
    await master.stop();
    await waitFor(
      "the replica to see the link down",
      async () => (await infoField(r, "replication", "master_link_status")) === "down",
    );
    assert.match((await infoField(r, "replication", "master_link_down_since_seconds")) ?? "", /^\d+$/);
    master = await startTandem({ port, dir, args: FAST });
    m = await master.client();
    assert.equal(await infoField(m, "replication", "role"), "master");
    await waitLinkUp(r);
    await m.call("SET", "after-restart", "yes");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await r.text("GET", "after-restart"), "$3\r\nyes\r\n");
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
  });
});
