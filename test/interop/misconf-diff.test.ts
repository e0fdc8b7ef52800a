import assert from "node:assert/strict";
import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type DiffPair, same, startDiffPair, stopDiffPair } from "../helpers/differential.js";
import { infoField } from "../helpers/info.js";
import { NO_REDIS } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * stop-writes-on-bgsave-error: after a failed BGSAVE, with save points configured, write commands and PING
 * get -MISCONF until a save succeeds; reads still work. The save is made to fail the same way on both
 * servers (a directory stands where the dump should be renamed to, which stops root too), and every reply
 * is compared byte for byte with redis-server's.
 */
describe("MISCONF after a failed background save (differential)", { skip: NO_REDIS }, () => {
  let p: DiffPair;

  before(async () => {
    p = await startDiffPair();
  });

  after(async () => {
    await stopDiffPair(p);
  });

  async function dbfilename(c: RawClient): Promise<string> {
    const v = await c.call("CONFIG", "GET", "dbfilename");
    assert.ok(Array.isArray(v));
    return String(v[1]);
  }

  async function bgsaveAndWait(c: RawClient): Promise<string | undefined> {
    assert.match(await c.text("BGSAVE"), /^\+Background saving started/);
    await waitFor("the background save to finish", async () => {
      return (await infoField(c, "persistence", "rdb_bgsave_in_progress")) === "0";
    });
    return infoField(c, "persistence", "rdb_last_bgsave_status");
  }

  it("refuses writes and PING with Redis's text while the last BGSAVE failed, and lifts it after a good one", async () => {
    const { t, r } = p;
    for (const c of [t, r]) {
      assert.equal(await c.text("CONFIG", "SET", "save", "3600 1"), "+OK\r\n");
      assert.equal(await c.text("SET", "k", "before"), "+OK\r\n");
    }
    const blockers = [join(p.tandem.dir, await dbfilename(t)), join(p.redis.dir, await dbfilename(r))];
    for (const b of blockers) mkdirSync(b);
    try {
      assert.equal(await bgsaveAndWait(t), "err");
      assert.equal(await bgsaveAndWait(r), "err");
      await same(t, r, ["SET", "k", "after"]);
      await same(t, r, ["PING"]);
      await same(t, r, ["INCR", "n"]);
      await same(t, r, ["GET", "k"]);
      await same(t, r, ["DBSIZE"]);
      // Queued in MULTI, the refused write aborts the transaction as Redis does.
      await same(t, r, ["MULTI"]);
      await same(t, r, ["SET", "k", "in-multi"]);
      await same(t, r, ["EXEC"]);
      // Turning the option off lifts the refusal at once, and back on restores it.
      await same(t, r, ["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
      await same(t, r, ["SET", "k", "allowed"]);
      await same(t, r, ["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]);
      await same(t, r, ["SET", "k", "refused"]);
    } finally {
      for (const b of blockers) rmdirSync(b);
    }
    assert.equal(await bgsaveAndWait(t), "ok");
    assert.equal(await bgsaveAndWait(r), "ok");
    await same(t, r, ["SET", "k", "after"]);
    await same(t, r, ["PING"]);
    await same(t, r, ["GET", "k"]);
  });
});
