import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { seededRandom } from "../helpers/differential.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import { startReplicaOf, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";

/**
 * A full sync while clients keep writing: the snapshot is a point in time (pre-images of keys written
 * during the walk, whether the walk had passed them or not), the stream written meanwhile is buffered for
 * the replica and applied after the RDB, and the result equals the master exactly (DEBUG DIGEST per db).
 */

const KEYS = 200_000;
const started: ServerProcess[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

describe("replication: full sync under a write load", () => {
  it("a replica that syncs while keys are overwritten, deleted, re-created and expired ends equal to the master", async (t) => {
    const master = await startTandem({ args: ["--repl-diskless-sync-delay", "0"] });
    started.push(master);
    const m = await master.client();
    await m.call("DEBUG", "POPULATE", KEYS);
    await m.call("SELECT", 1);
    await m.call("DEBUG", "POPULATE", "20000", "one");
    await m.call("SELECT", 0);
    const rnd = seededRandom(11);
    const pick = (n: number) => Math.floor(rnd() * n);
    let rounds = 0;
    let roundsDuringSync = 0;
    let upAt = -1;
    let stop = false;
    // Writes run from before the replica starts until a few rounds after its link is up; each round hits
    // keys all over the dict, so some are behind the walk and some ahead of it.
    const writer = (async () => {
      while (!stop) {
        const cmds: (string | number)[][] = [];
        for (let i = 0; i < 200; i++) {
          const k = `key:${pick(KEYS)}`;
          switch (pick(6)) {
            case 0:
              cmds.push(["SET", k, `w${rounds}`]);
              break;
            case 1:
              cmds.push(["DEL", k]);
              break;
            case 2:
              cmds.push(["DEL", k], ["SET", k, "re-created"]);
              break;
            case 3:
              cmds.push(["EXPIRE", k, 1000 + pick(100)]);
              break;
            case 4:
              cmds.push(["SET", `new:${rounds}:${i}`, "created during the sync"]);
              break;
            default:
              cmds.push(["SELECT", 1], ["APPEND", `one:${pick(20000)}`, "+"], ["SELECT", 0]);
          }
        }
        // INFO rides in the same pipeline, so the master itself says whether the replica was mid-sync
        // (wait_bgsave / send_bulk) while this round's writes were applied.
        cmds.push(["INFO", "replication"]);
        const replies = await m.pipeline(cmds);
        const info = replies[replies.length - 1].toString("latin1");
        if (/state=(wait_bgsave|send_bulk)/.test(info)) roundsDuringSync++;
        rounds++;
      }
    })();
    const replica = await startReplicaOf(master);
    started.push(replica);
    const r = await replica.client();
    await waitLinkUp(r);
    upAt = rounds;
    while (rounds < upAt + 5) await new Promise((res) => setTimeout(res, 5));
    stop = true;
    await writer;
    await waitOffsetsEqual(m, [r]);
    for (const db of [0, 1]) {
      await m.call("SELECT", db);
      await r.call("SELECT", db);
      assert.equal(await r.text("DBSIZE"), await m.text("DBSIZE"), `db ${db} size`);
      assert.equal(await r.text("DEBUG", "DIGEST"), await m.text("DEBUG", "DIGEST"), `db ${db} digest`);
    }
    t.diagnostic(`${roundsDuringSync} write rounds ran while the master reported the replica syncing`);
    assert.ok(roundsDuringSync > 1, `writes ran during the sync (${roundsDuringSync} rounds)`);
    m.close();
    r.close();
  });
});
