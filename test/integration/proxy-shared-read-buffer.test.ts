import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { seededRandom } from "../helpers/differential.js";
import { NO_REDIS, startRedis } from "../helpers/processes.js";
import { type ProxyProcess, startProxy } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { suiteResources } from "../helpers/suite-resources.js";

/**
 * The proxy reads every client into one shared buffer (src/net/direct-reads.ts): whatever outlives a read
 * callback must be copied. These tests put many clients' bytes through that buffer at once while some
 * requests wait (for a dedicated connection, a blocked pop, a backend write in the next turn), and check
 * that every request reached the backend intact.
 */
describe("proxy: requests survive the shared read buffer being reused", { skip: NO_REDIS }, () => {
  const suite = suiteResources();
  let proxy: ProxyProcess;

  before(async () => {
    const redis = suite.track(await startRedis());
    proxy = suite.track(await startProxy(`master: 127.0.0.1:${redis.port}\nlog_level: warn\n`));
  });

  const client = (): Promise<RawClient> => suite.client(proxy);

  it("transactions and blocking pops waiting for a dedicated connection keep their own bytes", async () => {
    const N = 24;
    const cs = await Promise.all(Array.from({ length: N }, () => client()));
    const noise = await Promise.all(Array.from({ length: 4 }, () => client()));
    const rnd = seededRandom(7);
    const value = (i: number) => `v${i}-${"x".repeat(20 + Math.floor(rnd() * 200))}`;
    const values = cs.map((_, i) => value(i));
    // Each client opens a transaction (MULTI waits for a dedicated connection) while noise clients fill the
    // shared buffer with pipelined writes of other keys in the same turns.
    const txs = cs.map((c, i) =>
      c.pipeline([["MULTI"], ["SET", `tx:${i}`, values[i]], ["INCR", `txn:${i}`], ["EXEC"]]),
    );
    const noiseRuns = noise.map((c, j) =>
      c.pipeline(Array.from({ length: 300 }, (_, k) => ["SET", `noise:${j}:${k}`, `n${"y".repeat(k % 97)}`])),
    );
    const replies = await Promise.all(txs);
    await Promise.all(noiseRuns);
    for (let i = 0; i < N; i++) {
      assert.equal(
        replies[i].map((r) => r.toString()).join(""),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:1\r\n",
        `client ${i}`,
      );
      assert.equal(await cs[i].text("GET", `tx:${i}`), `$${values[i].length}\r\n${values[i]}\r\n`);
    }
    // Blocking pops wait on dedicated connections; their keys and timeouts must be the ones sent.
    const pops = cs.slice(0, 8).map((c, i) => c.pipeline([["BLPOP", `q:${i}`, "5"]]));
    const pusher = noise[0];
    for (let i = 0; i < 8; i++) await pusher.call("RPUSH", `q:${i}`, values[i]);
    const popped = await Promise.all(pops);
    for (let i = 0; i < 8; i++) {
      const key = `q:${i}`;
      assert.equal(
        popped[i][0].toString(),
        `*2\r\n$${key.length}\r\n${key}\r\n$${values[i].length}\r\n${values[i]}\r\n`,
      );
    }
  });

  it("values around and above the read buffer's size arrive intact, pipelined with small commands", async () => {
    const c = await client();
    const other = await client();
    for (const size of [65_535, 65_536, 65_537, 200_000, 1_000_000]) {
      const big = Buffer.alloc(size);
      for (let i = 0; i < size; i++) big[i] = (i * 31 + size) & 0xff;
      const v = big.toString("latin1");
      const [set1, , set2] = await Promise.all([
        c.pipeline([
          ["SET", `small:${size}`, "a"],
          ["SET", `big:${size}`, v],
          ["SET", `after:${size}`, "b"],
        ]),
        other.pipeline(Array.from({ length: 50 }, (_, k) => ["SET", `other:${k}`, String(k)])),
        c.pipeline([["STRLEN", `big:${size}`]]),
      ]);
      assert.equal(set1.map((r) => r.toString()).join(""), "+OK\r\n+OK\r\n+OK\r\n");
      assert.equal(set2[0].toString(), `:${size}\r\n`);
      const got = await c.call("GET", `big:${size}`);
      assert.ok(Buffer.isBuffer(got) && got.equals(big), `GET of ${size} bytes returns what was set`);
      assert.equal(await c.text("GET", `after:${size}`), "$1\r\nb\r\n");
    }
  });
});
