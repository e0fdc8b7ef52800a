import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS } from "../helpers/processes.js";
import { commandCalls, type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Scripts through the proxy: EVAL/EVALSHA/SCRIPT go to the master, EVAL_RO/EVALSHA_RO to replicas, and
 * an EVALSHA_RO after a SCRIPT LOAD works whichever replica serves it, although Redis 7 does not
 * replicate SCRIPT LOAD: the proxy loads the script on that replica first. Backends: redis-server, then
 * Tandem servers.
 */
for (const kind of ["redis", "tandem"] as const) {
  describe(`scripts through the proxy (${kind} backends)`, { skip: NO_REDIS }, () => {
    let d: Deployment;
    let c: RawClient;

    before(async () => {
      d = await startDeployment({ kind });
      c = await d.proxy.client();
      await waitFor("replicas to serve reads", async () => {
        const before = await commandCalls(d.replicas[0], "exists");
        await c.pipeline([
          ["EXISTS", "warmup"],
          ["EXISTS", "warmup"],
        ]);
        return (await commandCalls(d.replicas[0], "exists")) > before;
      });
    });
    after(async () => {
      c?.close();
      await d?.stop();
    });

    it("EVALSHA_RO after SCRIPT LOAD runs on the replicas, which never saw the SCRIPT LOAD", async () => {
      const body = "return redis.call('GET', KEYS[1])";
      const sha = String(await c.call("SCRIPT", "LOAD", body));
      assert.match(sha, /^[0-9a-f]{40}$/);
      await c.call("SET", "sk", "sv");
      // The replicas have not got the script (Redis 7 does not replicate SCRIPT LOAD).
      for (const r of d.replicas) {
        const rc = await r.client();
        assert.deepEqual(await rc.call("SCRIPT", "EXISTS", sha), [0]);
        rc.close();
      }
      const before = await Promise.all(d.replicas.map((r) => commandCalls(r, "evalsha_ro")));
      for (let i = 0; i < 8; i++) assert.equal(String(await c.call("EVALSHA_RO", sha, 1, "sk")), "sv");
      const after = await Promise.all(d.replicas.map((r) => commandCalls(r, "evalsha_ro")));
      assert.equal(after[0] - before[0] + after[1] - before[1], 8, "every EVALSHA_RO ran on a replica");
      assert.equal(await commandCalls(d.master, "evalsha_ro"), 0);
    });

    it("EVAL and EVALSHA run on the master; EVAL_RO on a replica; a write in EVAL_RO fails as in Redis", async () => {
      const masterBefore = await commandCalls(d.master, "eval");
      assert.equal(
        String(await c.call("EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", 1, "ek", "ev")),
        "OK",
      );
      assert.equal(await commandCalls(d.master, "eval"), masterBefore + 1);
      const roBefore = await Promise.all(d.replicas.map((r) => commandCalls(r, "eval_ro")));
      assert.match(
        await c.text("EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", 1, "ek"),
        /^-ERR Write commands are not allowed from read-only scripts/,
      );
      const roAfter = await Promise.all(d.replicas.map((r) => commandCalls(r, "eval_ro")));
      assert.equal(roAfter[0] - roBefore[0] + roAfter[1] - roBefore[1], 1);
      const sha = String(await c.call("SCRIPT", "LOAD", "return ARGV[1]"));
      assert.equal(String(await c.call("EVALSHA", sha, 0, "hello")), "hello");
    });

    it("an unknown SHA still answers -NOSCRIPT; SCRIPT FLUSH through the proxy forgets loaded scripts", async () => {
      assert.match(await c.text("EVALSHA_RO", "f".repeat(40), 0), /^-NOSCRIPT No matching script/);
      const sha = String(await c.call("SCRIPT", "LOAD", "return 42"));
      assert.equal(await c.call("EVALSHA_RO", sha, 0), 42);
      assert.equal(await c.text("SCRIPT", "FLUSH"), "+OK\r\n");
      // The master flushed; the proxy forgot the body, so nothing reloads it anywhere.
      assert.match(await c.text("EVALSHA", sha, 0), /^-NOSCRIPT/);
    });
  });
}
