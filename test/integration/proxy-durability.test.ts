import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseBackendsReply } from "../../src/cli/backends-table.js";
import { NO_REDIS, type ServerProcess } from "../helpers/processes.js";
import { type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * PROXY DURABILITY <replicas> <timeout-ms>: a write's reply is held until that many replicas have applied
 * it; when they do not in time, the reply is -NOTREPLICATED (the write IS on the master — that is what
 * tells it apart from a failed write). Replicas are made unavailable with SIGSTOP, always undone with
 * SIGCONT. Error replies are not held.
 */
const TIMEOUT_MS = 300;
/** The durability a new connection gets from proxy.yaml (off, with a timeout to recognise). */
const YAML_DURABILITY = "durability:\n  replicas: 0\n  timeout_ms: 700";
/**
 * Node's timers run on libuv's millisecond clock, truncated: a 300 ms timer can end up to 1 ms short of
 * 300 ms of real time (measured here with performance.now()).
 */
const TIMER_SLACK_MS = 1;
const NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";

const notReplicated = (reached: number, wanted: number) =>
  new RegExp(
    `^-NOTREPLICATED Tandem proxy: the write was applied on the master but reached ${reached} of ${wanted} ` +
      `replicas within ${TIMEOUT_MS} ms \\(offset \\d+\\)\\r\\n$`,
  );

const bulk = (v: string) => `$${v.length}\r\n${v}\r\n`;

for (const kind of ["tandem", "redis"] as const) {
  describe(`proxy write durability (${kind === "redis" ? "redis-server" : "Tandem"} backends)`, {
    skip: kind === "redis" && NO_REDIS,
  }, () => {
    let d: Deployment;
    let c: RawClient;
    let seq = 0;
    /** A value no earlier write used, so finding it on the master proves this write applied. */
    const fresh = () => `v-${kind}-${process.pid}-${++seq}`;

    before(async () => {
      d = await startDeployment({ kind, proxyYaml: `health:\n  poll_interval_ms: 100\n${YAML_DURABILITY}` });
    });

    after(async () => {
      c?.close();
      await d?.stop();
    });

    // Each scenario starts with both replicas known to the proxy and caught up, on a new connection.
    beforeEach(async () => {
      await waitFor("both replicas eligible again", async () => {
        const p = await d.proxy.client();
        try {
          const bs = parseBackendsReply(await p.call("PROXY", "BACKENDS"));
          return bs.filter((b) => b.role === "replica" && b.eligible === "yes").length === 2;
        } finally {
          p.close();
        }
      });
      c?.close();
      c = await d.proxy.client();
    });

    /** One command's reply text and how long it took. */
    async function timed(...args: string[]): Promise<{ reply: string; ms: number }> {
      const t0 = performance.now();
      const reply = await c.text(...args);
      return { reply, ms: performance.now() - t0 };
    }

    /** Runs `fn` with `rs` SIGSTOPped; SIGCONT whatever happens (a stopped replica would outlive the test). */
    async function withStopped<T>(rs: ServerProcess[], fn: () => Promise<T>): Promise<T> {
      for (const r of rs) r.kill("SIGSTOP");
      try {
        return await fn();
      } finally {
        for (const r of rs) r.kill("SIGCONT");
      }
    }

    async function onMaster(key: string): Promise<string> {
      const m = await d.master.client();
      try {
        return await m.text("GET", key);
      } finally {
        m.close();
      }
    }

    it("PROXY DURABILITY: no arguments returns the pair (proxy.yaml's at first), bad arguments are refused", async () => {
      assert.equal(await c.text("PROXY", "DURABILITY"), "*2\r\n:0\r\n:700\r\n");
      assert.equal(await c.text("PROXY", "DURABILITY", 2, TIMEOUT_MS), "+OK\r\n");
      assert.equal(await c.text("PROXY", "DURABILITY"), `*2\r\n:2\r\n:${TIMEOUT_MS}\r\n`);
      for (const bad of [
        ["x", "300"],
        ["1", "abc"],
        ["-1", "300"],
        ["1", "0"],
        ["1", "-5"],
        ["1.5", "300"],
      ]) {
        assert.equal(await c.text("PROXY", "DURABILITY", ...bad), NOT_INTEGER, `PROXY DURABILITY ${bad}`);
      }
      assert.equal(
        await c.text("PROXY", "DURABILITY", "1"),
        "-ERR wrong number of arguments for 'proxy|durability' command\r\n",
      );
      // Refused arguments changed nothing.
      assert.equal(await c.text("PROXY", "DURABILITY"), `*2\r\n:2\r\n:${TIMEOUT_MS}\r\n`);
    });

    it("with both replicas healthy, SET under PROXY DURABILITY 1 300 replies +OK (acknowledged, not timed out)", async (t) => {
      assert.equal(await c.text("PROXY", "DURABILITY", 1, TIMEOUT_MS), "+OK\r\n");
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const { reply, ms } = await timed("SET", "dur:ok", fresh());
        assert.equal(reply, "+OK\r\n");
        times.push(ms);
      }
      const max = Math.max(...times);
      // +OK (not the timeout's error) is the check; how long it took is a figure, not a pass/fail condition.
      t.diagnostic(`${kind}: durable SET (1 replica): max ${max.toFixed(1)} ms over ${times.length} writes`);
    });

    it("with both replicas stopped, SET replies -NOTREPLICATED (reached 0 of 1) after the timeout, and the value is on the master", async (t) => {
      assert.equal(await c.text("PROXY", "DURABILITY", 1, TIMEOUT_MS), "+OK\r\n");
      const value = fresh();
      const { reply, ms } = await withStopped(d.replicas, () => timed("SET", "dur:stopped", value));
      t.diagnostic(`${kind}: durability timeout reply after ${ms.toFixed(1)} ms: ${reply.trimEnd()}`);
      assert.match(reply, notReplicated(0, 1));
      assert.ok(
        ms >= TIMEOUT_MS - TIMER_SLACK_MS,
        `the reply came after ${ms.toFixed(1)} ms, before the timeout`,
      );
      assert.ok(ms < TIMEOUT_MS + 2000, `the reply came ${ms.toFixed(1)} ms late`);
      assert.equal(await onMaster("dur:stopped"), bulk(value), "the write was applied on the master");
      // The connection goes on: durability off, a write is answered at once.
      assert.equal(await c.text("PROXY", "DURABILITY", 0, TIMEOUT_MS), "+OK\r\n");
      assert.equal(await c.text("SET", "dur:stopped", "after"), "+OK\r\n");
    });

    it("with one replica stopped and the other alive, SET under PROXY DURABILITY 1 300 replies +OK", async (t) => {
      assert.equal(await c.text("PROXY", "DURABILITY", 1, TIMEOUT_MS), "+OK\r\n");
      const value = fresh();
      const { reply, ms } = await withStopped([d.replicas[0]], () => timed("SET", "dur:one", value));
      t.diagnostic(`${kind}: durable SET with one replica stopped: ${ms.toFixed(1)} ms`);
      assert.equal(reply, "+OK\r\n"); // acknowledged: a timeout would have answered -NOTREPLICATED
      assert.equal(await onMaster("dur:one"), bulk(value));
    });

    it("PROXY DURABILITY 2 300 with one replica stopped replies -NOTREPLICATED (reached 1 of 2)", async (t) => {
      assert.equal(await c.text("PROXY", "DURABILITY", 2, TIMEOUT_MS), "+OK\r\n");
      const value = fresh();
      const { reply, ms } = await withStopped([d.replicas[1]], () => timed("SET", "dur:two", value));
      t.diagnostic(`${kind}: durability (2 replicas, one stopped) reply after ${ms.toFixed(1)} ms`);
      assert.match(reply, notReplicated(1, 2));
      assert.ok(
        ms >= TIMEOUT_MS - TIMER_SLACK_MS,
        `the reply came after ${ms.toFixed(1)} ms, before the timeout`,
      );
      assert.equal(await onMaster("dur:two"), bulk(value));
    });

    it("an error reply (WRONGTYPE) is not held, even with both replicas stopped", async (t) => {
      const m = await d.master.client();
      try {
        await m.text("DEL", "dur:list");
        assert.equal(await m.text("RPUSH", "dur:list", "a"), ":1\r\n");
      } finally {
        m.close();
      }
      assert.equal(await c.text("PROXY", "DURABILITY", 1, TIMEOUT_MS), "+OK\r\n");
      const { reply, ms } = await withStopped(d.replicas, () => timed("INCR", "dur:list"));
      t.diagnostic(`${kind}: WRONGTYPE under durability with replicas stopped: ${ms.toFixed(1)} ms`);
      assert.match(reply, /^-WRONGTYPE /);
      // Held, it would have come only at the timeout (both replicas are stopped).
      assert.ok(ms < TIMEOUT_MS - TIMER_SLACK_MS, `the error reply took ${ms.toFixed(1)} ms`);
    });
  });
}
