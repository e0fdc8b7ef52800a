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

    it("EVALSHA inside MULTI: EXEC answers one element per queued command, as the master does directly", async () => {
      // The proxy knows the body (from the EVAL) but has not loaded it on the master itself: before the fix
      // it sent SCRIPT LOAD ahead of the EVALSHA, inside the transaction, and EXEC answered two elements.
      // (ioredis pipelines crashed on it and BullMQ's FlowProducer/addBulk results were shifted.)
      const body = `return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])} -- ${Date.now()}`;
      const sha = String(await c.call("SCRIPT", "LOAD", body));
      assert.equal(String((await c.call("EVAL", body, 1, "mk", "a")) as unknown[]), "mk,a,1");
      const direct = await d.master.client();
      try {
        const tx = [
          ["MULTI"],
          ["EVALSHA", sha, "1", "mk", "b"],
          ["EVALSHA_RO", sha, "1", "mk", "c"],
          ["EXEC"],
        ];
        const viaProxy = [];
        for (const cmd of tx) viaProxy.push((await c.raw(...cmd)).toString("latin1"));
        const onMaster = [];
        for (const cmd of tx) onMaster.push((await direct.raw(...cmd)).toString("latin1"));
        assert.deepEqual(viaProxy.slice(0, 3), ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n"]);
        assert.equal(
          viaProxy[3],
          "*2\r\n*3\r\n$2\r\nmk\r\n$1\r\nb\r\n:2\r\n-ERR Write commands are not allowed from read-only scripts. script: " +
            `${sha}, on @user_script:1.\r\n`,
        );
        // The same transaction sent to the master directly answers the same shape (its INCR went on to 4).
        assert.equal(onMaster[3], viaProxy[3].replace(":2\r\n", ":3\r\n"));
        // Outside a transaction the EVALSHA still works (the script is on the master now).
        assert.equal(String((await c.call("EVALSHA", sha, 1, "mk", "d")) as unknown[]), "mk,d,4");
      } finally {
        direct.close();
      }
    });

    it("a name set inside MULTI is not slipped into the transaction: EXEC answers the queued commands only", async () => {
      const replies = [];
      for (const cmd of [
        ["MULTI"],
        ["CLIENT", "SETNAME", "in-tx"],
        ["SET", "nk", "1"],
        ["GET", "nk"],
        ["EXEC"],
      ]) {
        replies.push(await c.text(...cmd));
      }
      assert.equal(replies.filter((r) => r === "+QUEUED\r\n").length, 2);
      assert.equal(replies[4], "*2\r\n+OK\r\n$1\r\n1\r\n");
      assert.equal(await c.text("CLIENT", "GETNAME"), "$5\r\nin-tx\r\n");
      await c.call("CLIENT", "SETNAME", "");
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
