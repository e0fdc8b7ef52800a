import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seededRandom } from "../helpers/differential.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { infoField } from "../helpers/replication-helpers.js";

/**
 * A stream's consumer groups, consumers and pending entries lists count in its size estimate: MEMORY USAGE
 * and INFO's used_memory grow as entries are delivered and fall back as they are acknowledged, consumers
 * deleted and groups destroyed. After any sequence of group commands the running estimate equals the one
 * a fresh copy computes (COPY rebuilds the groups), so it never drifts.
 */

const ENTRIES = 500;

describe("stream consumer groups in the memory estimate", () => {
  let srv: ServerProcess;
  let c: RawClient;

  before(async () => {
    srv = await startTandem();
    c = await srv.client();
  });

  after(async () => {
    c?.close();
    await srv?.stop();
  });

  const usage = async (key: string): Promise<number> => Number(await c.call("MEMORY", "USAGE", key));
  const used = async (): Promise<number> => Number(await infoField(c, "memory", "used_memory"));

  /** The running estimate of s1 against a fresh copy's (same key length, so the same key overhead). */
  async function assertNoDrift(when: string): Promise<void> {
    await c.call("COPY", "s1", "s9", "REPLACE");
    assert.equal(await usage("s1"), await usage("s9"), `estimate drifted ${when}`);
    await c.call("DEL", "s9");
  }

  it("grows with a PEL and shrinks back as entries are acknowledged and groups destroyed", async () => {
    await c.call("FLUSHALL");
    await c.pipeline(Array.from({ length: ENTRIES }, (_, i) => ["XADD", "s1", `${i + 1}-0`, "f", "v"]));
    const bare = await usage("s1");
    assert.equal(await c.text("XGROUP", "CREATE", "s1", "g", "0"), "+OK\r\n");
    const withGroup = await usage("s1");
    assert.ok(withGroup > bare, `a group adds to the estimate (${bare} -> ${withGroup})`);

    const usedBefore = await used();
    const read = await c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", ENTRIES, "STREAMS", "s1", ">");
    assert.ok(Array.isArray(read));
    const withPel = await usage("s1");
    // Each pending entry is in the group's PEL and the consumer's: well over 64 bytes of our structures.
    assert.ok(withPel - withGroup >= ENTRIES * 64, `PEL of ${ENTRIES} counted (${withGroup} -> ${withPel})`);
    assert.ok((await used()) - usedBefore >= ENTRIES * 64, "used_memory grows with the PEL");
    await assertNoDrift("after XREADGROUP");

    const ids = Array.from({ length: ENTRIES }, (_, i) => `${i + 1}-0`);
    assert.equal(await c.call("XACK", "s1", "g", ...ids), ENTRIES);
    const acked = await usage("s1");
    assert.ok(acked < withPel && acked > withGroup, "acknowledged entries leave, the consumer stays");
    await assertNoDrift("after XACK");

    assert.equal(await c.call("XGROUP", "DELCONSUMER", "s1", "g", "alice"), 0);
    assert.equal(await usage("s1"), withGroup, "deleting the consumer gives its bytes back");
    assert.equal(await c.call("XGROUP", "DESTROY", "s1", "g"), 1);
    const destroyed = await usage("s1");
    assert.ok(destroyed < withGroup && destroyed >= bare, "destroying the group gives its bytes back");
    await assertNoDrift("after XGROUP DESTROY");
  });

  it("never drifts through random group commands", async () => {
    const seed = Number(process.env.TEST_SEED ?? 20261203);
    console.log(`stream memory random run, seed ${seed}`);
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    await c.call("FLUSHALL");
    await c.pipeline(Array.from({ length: 200 }, (_, i) => ["XADD", "s1", `${i + 1}-0`, "f", "v"]));
    const groups = ["g1", "g2", "g3"];
    const consumers = ["alice", "bob", "carol"];
    for (const g of groups) await c.call("XGROUP", "CREATE", "s1", g, "0");
    for (let round = 0; round < 40; round++) {
      const cmds: (string | number)[][] = [];
      for (let i = 0; i < 10; i++) {
        const g = pick(groups);
        const id = `${1 + Math.floor(rand() * 220)}-0`;
        const k = rand();
        if (k < 0.25)
          cmds.push([
            "XREADGROUP",
            "GROUP",
            g,
            pick(consumers),
            "COUNT",
            1 + Math.floor(rand() * 20),
            "STREAMS",
            "s1",
            rand() < 0.8 ? ">" : "0",
          ]);
        else if (k < 0.4) cmds.push(["XACK", "s1", g, id, `${1 + Math.floor(rand() * 220)}-0`]);
        else if (k < 0.5) cmds.push(["XCLAIM", "s1", g, pick(consumers), "0", id, "FORCE"]);
        else if (k < 0.6) cmds.push(["XAUTOCLAIM", "s1", g, pick(consumers), "0", "0", "COUNT", 5]);
        else if (k < 0.7) cmds.push(["XGROUP", "CREATECONSUMER", "s1", g, pick(consumers)]);
        else if (k < 0.77) cmds.push(["XGROUP", "DELCONSUMER", "s1", g, pick(consumers)]);
        else if (k < 0.82) cmds.push(["XGROUP", "DESTROY", "s1", g]);
        else if (k < 0.87) cmds.push(["XGROUP", "CREATE", "s1", g, "0"]);
        else if (k < 0.92) cmds.push(["XDEL", "s1", id]);
        else if (k < 0.96) cmds.push(["XADD", "s1", "*", "f", "v"]);
        else cmds.push(["XGROUP", "SETID", "s1", g, "0"]);
      }
      await c.pipeline(cmds);
      await assertNoDrift(`after round ${round} (seed ${seed})`);
    }
  });
});
