import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ActiveExpire } from "../../../src/server/active-expire.js";
import { Keyspace } from "../../../src/store/keyspace.js";

/**
 * The active expire cycle in-process: expired keys go without being accessed (a db full of them is swept
 * batch after batch), keys with time left stay, and every db is visited.
 */
describe("ActiveExpire (Redis's activeExpireCycle)", () => {
  it("removes expired keys nobody reads, keeps the others, in every db", () => {
    const ks = new Keyspace(16);
    const now = Date.now();
    for (const id of [0, 3, 15]) {
      const db = ks.dbs[id];
      for (let i = 0; i < 3000; i++) {
        db.setKey(`gone:${i}`, "v");
        db.setExpire(`gone:${i}`, now - 1000);
        db.setKey(`kept:${i}`, "v");
        db.setExpire(`kept:${i}`, now + 3_600_000);
        db.setKey(`plain:${i}`, "v");
      }
    }
    const ae = new ActiveExpire(ks);
    // Each cycle has a few milliseconds; a bounded number of them must get through 9,000 expired keys.
    for (let n = 0; n < 500 && [0, 3, 15].some((id) => ks.dbs[id].dict.has("gone:2999")); n++) ae.cycle(now);
    for (const id of [0, 3, 15]) {
      const db = ks.dbs[id];
      assert.equal(db.dict.size, 6000, `db ${id}: only the expired keys went`);
      assert.equal(db.expires.size, 3000, `db ${id}: the live TTLs stay`);
      for (let i = 0; i < 3000; i += 499) assert.ok(!db.dict.has(`gone:${i}`) && db.dict.has(`kept:${i}`));
    }
  });

  it("finds expired keys scattered among many live ones on later passes", () => {
    const ks = new Keyspace(16);
    const db = ks.dbs[0];
    const now = Date.now();
    for (let i = 0; i < 5000; i++) {
      db.setKey(`k:${i}`, "v");
      db.setExpire(`k:${i}`, i % 100 === 0 ? now - 1 : now + 3_600_000);
    }
    const ae = new ActiveExpire(ks);
    // 1% expired: below Redis's acceptable stale share, so each tick only samples; the cursor moves on
    // every tick and a pass over the table still reaches them all.
    for (let n = 0; n < 2000 && db.dict.size > 4950; n++) ae.cycle(now);
    assert.equal(db.dict.size, 4950);
  });
});
