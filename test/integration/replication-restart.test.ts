import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import {
  infoField,
  startMasterAndReplica,
  startReplicaOf,
  syncStat,
  waitLinkUp,
  waitOffsetsEqual,
} from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Restarts that keep partial resynchronization possible through the RDB's repl-id / repl-offset /
 * repl-stream-db aux fields: a replica restarted from its dump continues with +CONTINUE (only the bytes
 * written while it was down travel), in the db the stream had selected; a master restarted from a dump
 * saved at shutdown keeps the old history as replid2, so its replica continues too.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];

/** Starts Tandem and waits until its dump is loaded and replication started (PING answers before). */
async function startLoaded(opts: { port: number; dir: string; args: string[] }): Promise<ServerProcess> {
  const s = await startTandem(opts);
  const c = await s.client();
  try {
    await waitFor(
      "the dump to be loaded",
      async () => (await infoField(c, "persistence", "loading")) === "0",
    );
  } finally {
    c.close();
  }
  return s;
}

/** SHUTDOWN SAVE: the connection closes instead of replying; resolves when the process has exited. */
async function shutdownSave(s: ServerProcess, c: RawClient): Promise<void> {
  await c.call("SHUTDOWN", "SAVE").catch(() => undefined);
  c.close();
  await s.exited;
}

describe("replication: restarts continue partially from the RDB's replication fields", () => {
  let master: ServerProcess;
  let replica: ServerProcess;
  let m: RawClient;
  let r: RawClient;

  before(async () => {
    ({ master, replica, m, r } = await startMasterAndReplica(FAST));
  });

  after(async () => {
    m?.close();
    r?.close();
    await Promise.all([replica?.stop(), master?.stop()]);
  });

  it("a replica restarted with its RDB resyncs partially (sync_partial_ok grows, no sync_full) in repl-stream-db", async () => {
    await m.call("SELECT", 3);
    await m.call("SET", "before-restart", "1");
    await waitOffsetsEqual(m, [r]);
    const full0 = await syncStat(m, "sync_full");
    const partial0 = await syncStat(m, "sync_partial_ok");
    const { port, dir } = replica;
    await shutdownSave(replica, r);
    // The master's stream stays in db 3: these arrive without a SELECT, so the restarted replica must
    // resume in the db its dump recorded.
    for (let i = 0; i < 50; i++) await m.call("SET", `while-down:${i}`, `v${i}`);
    replica = await startLoaded({ port, dir, args: ["--replicaof", "127.0.0.1", String(master.port)] });
    r = await replica.client();
    await waitLinkUp(r);
    await waitOffsetsEqual(m, [r]);
    assert.equal(await syncStat(m, "sync_partial_ok"), partial0 + 1);
    assert.equal(await syncStat(m, "sync_full"), full0);
    assert.equal(
      await infoField(r, "replication", "master_replid"),
      await infoField(m, "replication", "master_replid"),
    );
    await r.call("SELECT", 3);
    assert.equal(await r.text("GET", "before-restart"), "$1\r\n1\r\n");
    assert.equal(await r.text("GET", "while-down:49"), "$3\r\nv49\r\n");
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
    await r.call("SELECT", 0);
    assert.equal(await r.text("DBSIZE"), ":0\r\n");
    await m.call("SELECT", 0);
  });

  it("a master restarted from its shutdown dump keeps the old history as replid2: its replica continues", async () => {
    await m.call("SET", "master-before", "x");
    await waitOffsetsEqual(m, [r]);
    const oldReplid = await infoField(m, "replication", "master_replid");
    const oldOffset = Number(await infoField(m, "replication", "master_repl_offset"));
    const { port, dir } = master;
    await shutdownSave(master, m);
    master = await startLoaded({ port, dir, args: FAST });
    m = await master.client();
    assert.equal(await infoField(m, "replication", "role"), "master");
    assert.equal(await infoField(m, "replication", "master_replid2"), oldReplid);
    assert.equal(await infoField(m, "replication", "second_repl_offset"), String(oldOffset + 1));
    await waitLinkUp(r);
    await m.call("SET", "master-after", "y");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await syncStat(m, "sync_partial_ok"), 1);
    assert.equal(await syncStat(m, "sync_full"), 0);
    assert.equal(await r.text("GET", "master-after"), "$1\r\ny\r\n");
    assert.equal(await r.text("GET", "master-before"), "$1\r\nx\r\n");
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
  });

  it("a master whose replica got further than its dump makes that replica resync fully", async () => {
    await waitOffsetsEqual(m, [r]);
    await m.call("SAVE");
    // Bytes after the dump: the replica has them, the restarted master will not.
    await m.call("SET", "after-the-dump", "lost");
    await waitOffsetsEqual(m, [r]);
    const { port, dir } = master;
    m.close();
    master.kill("SIGKILL");
    await master.exited;
    master = await startLoaded({ port, dir, args: FAST });
    m = await master.client();
    await waitLinkUp(r);
    await m.call("SET", "after-crash", "z");
    await waitOffsetsEqual(m, [r]);
    assert.equal(await syncStat(m, "sync_full"), 1);
    assert.equal(await syncStat(m, "sync_partial_ok"), 0);
    assert.equal(await r.text("EXISTS", "after-the-dump"), ":0\r\n");
    assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"));
  });
});

describe("replication: shutdown", () => {
  it("a write pipelined right before SHUTDOWN still reaches the replica", async () => {
    const master = await startTandem({ args: FAST });
    const replica = await startReplicaOf(master);
    try {
      const m = await master.client();
      const r = await replica.client();
      await waitLinkUp(r);
      await waitOffsetsEqual(m, [r]);
      await m
        .pipeline([
          ["SET", "last-write", "1"],
          ["SHUTDOWN", "NOSAVE"],
        ])
        .catch(() => undefined);
      m.close();
      await master.exited;
      await waitFor(
        "the last write on the replica",
        async () => (await r.text("GET", "last-write")) === "$1\r\n1\r\n",
      );
      r.close();
    } finally {
      await Promise.all([replica.stop(), master.stop()]);
    }
  });
});
