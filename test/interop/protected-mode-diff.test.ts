import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * protected-mode on real sockets, against redis-server: a peer other than 127.0.0.1 (here 127.0.0.2, still
 * loopback traffic, which Redis does not count as local) gets the same -DENIED bytes and is disconnected,
 * until the default user has a password or protected-mode is turned off.
 */

/** Connects from 127.0.0.2, sends PING, returns all the server wrote before closing (or 300 ms passed). */
function pingFromOtherAddress(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" }, () => s.write("PING\r\n"));
    let out = "";
    const timer = setTimeout(() => s.destroy(), 300);
    s.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      if (out === "+PONG\r\n") s.destroy();
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on("error", reject);
  });
}

describe("protected-mode: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });
  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  const fromOther = async () => {
    const [a, b] = await Promise.all([pingFromOtherAddress(tandem.port), pingFromOtherAddress(redis.port)]);
    assert.equal(a, b);
    return a;
  };

  it("refuses a non-local peer with Redis's message while the default user has no password", async () => {
    assert.match(await fromOther(), /^-DENIED Redis is running in protected mode/);
    // The loopback address itself is served.
    assert.equal(await t.text("PING"), "+PONG\r\n");
    assert.match(await t.text("INFO", "stats"), /rejected_connections:1\r\n/);
  });

  it("lets it in once the default user has a password, or protected-mode is off", async () => {
    for (const c of [t, r]) assert.equal(await c.text("CONFIG", "SET", "requirepass", "pw"), "+OK\r\n");
    assert.equal(await fromOther(), "-NOAUTH Authentication required.\r\n");
    for (const c of [t, r]) {
      assert.equal(await c.text("AUTH", "pw"), "+OK\r\n");
      assert.equal(await c.text("CONFIG", "SET", "requirepass", ""), "+OK\r\n");
    }
    assert.match(await fromOther(), /^-DENIED/);
    for (const c of [t, r]) assert.equal(await c.text("CONFIG", "SET", "protected-mode", "no"), "+OK\r\n");
    assert.equal(await fromOther(), "+PONG\r\n");
  });
});
