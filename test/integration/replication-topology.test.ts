import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seededRandom } from "../helpers/differential.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import {
  datasetDump,
  infoField,
  syncStat,
  waitLinkUp,
  waitOffsetsEqual,
} from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Topologies: a chained replica gets the master's bytes verbatim; a randomized write load ends with every
 * replica's data equal to the master's; promoting a replica keeps the old history as replid2 so its
 * sibling resynchronizes partially.
 */

const FAST = ["--repl-diskless-sync-delay", "0"];

describe("replication: chains, random load, promotion", () => {
  let master: ServerProcess;
  let a: ServerProcess;
  let b: ServerProcess;
  let chained: ServerProcess;
  let m: RawClient;
  let ca: RawClient;
  let cb: RawClient;
  let cc: RawClient;

  before(async () => {
    master = await startTandem({ args: FAST });
    const of = (p: number) => ["--replicaof", "127.0.0.1", String(p), ...FAST];
    a = await startTandem({ args: of(master.port) });
    b = await startTandem({ args: of(master.port) });
    chained = await startTandem({ args: of(a.port) });
    m = await master.client();
    ca = await a.client();
    cb = await b.client();
    cc = await chained.client();
    for (const c of [ca, cb, cc]) await waitLinkUp(c);
  });

  after(async () => {
    for (const c of [m, ca, cb, cc]) c?.close();
    await Promise.all([chained?.stop(), a?.stop(), b?.stop(), master?.stop()]);
  });

  it("a replica of a replica gets the master's stream verbatim (same replid and offset)", async () => {
    await m.call("SET", "chain", "1");
    await m.call("SELECT", 3);
    await m.call("SET", "chain3", "3");
    await m.call("SELECT", 0);
    await waitOffsetsEqual(m, [ca, cb, cc]);
    assert.equal(await cc.text("GET", "chain"), "$1\r\n1\r\n");
    await cc.call("SELECT", 3);
    assert.equal(await cc.text("GET", "chain3"), "$1\r\n3\r\n");
    await cc.call("SELECT", 0);
    const replid = await infoField(m, "replication", "master_replid");
    assert.equal(await infoField(cc, "replication", "master_replid"), replid);
    assert.equal(await infoField(ca, "replication", "connected_slaves"), "1");
  });

  it("after a randomized write load every replica's data equals the master's", async () => {
    const rnd = seededRandom(5);
    const pick = (n: number) => Math.floor(rnd() * n);
    const cmds: (string | number)[][] = [];
    for (let i = 0; i < 3000; i++) {
      const k = `r:${pick(200)}`;
      switch (pick(9)) {
        case 0:
          cmds.push(["SET", k, `v${pick(1000)}`]);
          break;
        case 1:
          cmds.push(["INCR", `n:${pick(50)}`]);
          break;
        case 2:
          cmds.push(["DEL", k]);
          break;
        case 3:
          cmds.push(["APPEND", k, "x"]);
          break;
        case 4:
          // Short-lived keys expire on the master, which propagates DEL; long TTLs outlive the test.
          if (pick(2) === 0) cmds.push(["SET", `short:${pick(100)}`, "t", "PX", 20 + pick(200)]);
          else cmds.push(["SET", k, "t", "PX", 600_000 + pick(5000)]);
          break;
        case 5:
          cmds.push(["EXPIRE", k, 1000 + pick(100)]);
          break;
        case 6:
          cmds.push(["MSET", k, "m", `r:${pick(200)}`, "n"]);
          break;
        case 7:
          cmds.push(["SELECT", pick(3)]);
          break;
        default:
          cmds.push(["MULTI"], ["INCRBY", `n:${pick(50)}`, pick(10)], ["SET", k, "in-multi"], ["EXEC"]);
      }
    }
    for (let i = 0; i < cmds.length; i += 100) await m.pipeline(cmds.slice(i, i + 100));
    await waitFor("the short-lived keys to expire on the master", async () => {
      for (let db = 0; db < 3; db++) {
        await m.call("SELECT", db);
        if (((await m.call("KEYS", "short:*")) as unknown[]).length > 0) return false;
      }
      return true;
    });
    await m.call("SELECT", 0);
    await waitOffsetsEqual(m, [ca, cb, cc]);
    const want = await datasetDump(m, 3);
    assert.ok(want.length > 50, `dataset too small: ${want.length}`);
    for (const c of [ca, cb, cc]) assert.deepEqual(await datasetDump(c, 3), want);
  });

  it("promoting a replica shifts its replid to replid2; its sibling then resyncs partially", async () => {
    await m.call("SET", "before-promotion", "1");
    const off = await waitOffsetsEqual(m, [ca, cb, cc]);
    const oldReplid = await infoField(m, "replication", "master_replid");
    // The old master goes away, as in a failover.
    m.close();
    await master.stop();
    assert.equal(await cb.text("REPLICAOF", "NO", "ONE"), "+OK\r\n");
    assert.equal(await infoField(cb, "replication", "role"), "master");
    assert.equal(await infoField(cb, "replication", "master_replid2"), oldReplid);
    assert.equal(await infoField(cb, "replication", "second_repl_offset"), String(off + 1));
    const partial0 = await syncStat(cb, "sync_partial_ok");
    const full0 = await syncStat(cb, "sync_full");
    assert.equal(await ca.text("REPLICAOF", "127.0.0.1", b.port), "+OK\r\n");
    await waitLinkUp(ca);
    assert.equal(await syncStat(cb, "sync_partial_ok"), partial0 + 1);
    assert.equal(await syncStat(cb, "sync_full"), full0);
    // Writes on the new master flow to the sibling and, through it, to the chained replica.
    assert.equal(await cb.text("SET", "after-promotion", "2"), "+OK\r\n");
    await waitLinkUp(cc);
    await waitOffsetsEqual(cb, [ca, cc]);
    assert.equal(await ca.text("GET", "after-promotion"), "$1\r\n2\r\n");
    assert.equal(await cc.text("GET", "after-promotion"), "$1\r\n2\r\n");
    assert.equal(await cc.text("GET", "before-promotion"), "$1\r\n1\r\n");
    assert.equal(
      await infoField(cc, "replication", "master_replid"),
      await infoField(cb, "replication", "master_replid"),
    );
  });
});
