import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { suiteResources } from "../helpers/suite-resources.js";

describe("RANDOMKEY", () => {
  const suite = suiteResources();
  let c: RawClient;

  before(async () => {
    c = await suite.client(suite.track(await startTandem()));
  });

  it("regression: reaches every key of a db (the O(1) rotating pick must not get stuck on a few keys)", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await c.pipeline(keys.map((k) => ["SET", k, "v"]));
    const seen = new Set<string>();
    for (let round = 0; round < 40 && seen.size < keys.length; round++) {
      const replies = await c.pipeline(Array.from({ length: 100 }, () => ["RANDOMKEY"]));
      for (const r of replies) seen.add(r.toString("latin1").split("\r\n")[1]);
    }
    assert.equal(seen.size, keys.length);
  });

  it("skips logically expired keys and answers nil on an empty db", async () => {
    await c.text("FLUSHDB");
    assert.equal(await c.text("RANDOMKEY"), "$-1\r\n");
    await c.text("SET", "gone", "1", "PX", "1");
    await c.text("SET", "live", "1");
    const replies = await c.pipeline(Array.from({ length: 50 }, () => ["RANDOMKEY"]));
    const names = new Set(replies.map((r) => r.toString("latin1")));
    assert.ok(names.has("$4\r\nlive\r\n"));
  });
});
