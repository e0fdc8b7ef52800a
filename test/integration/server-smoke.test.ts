import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { suiteResources } from "../helpers/suite-resources.js";

describe("tandem server (smoke)", () => {
  const suite = suiteResources();
  let c: RawClient;

  before(async () => {
    c = await suite.client(suite.track(await startTandem()));
  });

  it("answers PING, SET and GET over a real socket", async () => {
    assert.equal(await c.text("PING"), "+PONG\r\n");
    assert.equal(await c.text("SET", "k", "v"), "+OK\r\n");
    assert.equal(await c.text("GET", "k"), "$1\r\nv\r\n");
    assert.equal(await c.text("GET", "missing"), "$-1\r\n");
  });

  it("rejects an unknown command with Redis's wording", async () => {
    assert.equal(
      await c.text("NOSUCH", "a", "b"),
      "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n",
    );
  });

  it("answers pipelined commands in order", async () => {
    const replies = await c.pipeline([
      ["SET", "p", "1"],
      ["INCR", "p"],
      ["GET", "p"],
    ]);
    assert.deepEqual(
      replies.map((r) => r.toString()),
      ["+OK\r\n", ":2\r\n", "$1\r\n2\r\n"],
    );
  });
});
