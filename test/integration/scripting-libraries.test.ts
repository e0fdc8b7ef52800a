import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import Redlock from "redlock";
import { startTandem } from "../helpers/processes.js";
import { startDeployment } from "../helpers/proxy-deployment.js";

/**
 * Real script-based libraries against `tandem server` and through the proxy in front of Tandem servers
 * (a master and two replicas; reads under the default `session` consistency): redlock (EVALSHA with an
 * EVAL fallback, lock acquire/extend/release scripts), rate-limiter-flexible's RateLimiterRedis on ioredis
 * (a defineCommand script with INCRBY/PTTL), and ioredis defineCommand with numberOfKeys.
 */

for (const via of ["tandem server", "the proxy"] as const) {
  describe(`script libraries through ${via}`, () => {
    let stop: () => Promise<void> = async () => {};
    let client: Redis;

    before(async () => {
      let port: number;
      if (via === "tandem server") {
        const server = await startTandem();
        port = server.port;
        stop = () => server.stop();
      } else {
        const d = await startDeployment({ kind: "tandem" });
        port = d.proxy.port;
        stop = () => d.stop();
      }
      client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
    });

    after(async () => {
      client?.disconnect();
      await stop();
    });

    it("redlock acquires, refuses a second holder, extends and releases", async () => {
      const redlock = new Redlock([client], { retryCount: 0, driftFactor: 0.01 });
      const lock = await redlock.lock("locks:order-42", 2000);
      assert.equal(await client.get("locks:order-42"), lock.value);
      await assert.rejects(redlock.lock("locks:order-42", 2000), /unable to acquire|LockError|Exceeded/i);
      const extended = await lock.extend(10000);
      const pttl = await client.pttl("locks:order-42");
      assert.ok(pttl > 2000 && pttl <= 10000, `extended TTL ${pttl}`);
      await extended.unlock();
      assert.equal(await client.exists("locks:order-42"), 0);
      // A lock whose key now holds another value is not released by the stale holder.
      const again = await redlock.lock("locks:order-42", 5000);
      await client.set("locks:order-42", "someone-else");
      await assert.rejects(again.unlock(), /unable to|LockError|Exceeded/i);
      assert.equal(await client.get("locks:order-42"), "someone-else");
    });

    it("RateLimiterRedis (ioredis) lets `points` requests through per window, then rejects", async () => {
      const limiter = new RateLimiterRedis({ storeClient: client, points: 3, duration: 5, keyPrefix: "rl" });
      const results: string[] = [];
      for (let i = 0; i < 5; i++) {
        try {
          const res = await limiter.consume("user-1");
          results.push(`ok:${res.remainingPoints}`);
        } catch (rej) {
          assert.ok(rej instanceof RateLimiterRes, String(rej));
          results.push(`limited:${rej.remainingPoints}`);
          assert.ok(rej.msBeforeNext > 0 && rej.msBeforeNext <= 5000);
        }
      }
      assert.deepEqual(results, ["ok:2", "ok:1", "ok:0", "limited:0", "limited:0"]);
      // Another key has its own budget; penalties and rewards go through the same script.
      assert.equal((await limiter.consume("user-2", 2)).remainingPoints, 1);
      // Rejected requests count too (5 consumed): a reward of 3 leaves room for exactly one more.
      await limiter.reward("user-1", 3);
      assert.equal((await limiter.consume("user-1")).remainingPoints, 0);
      const ttl = await client.pttl("rl:user-1");
      assert.ok(ttl > 0 && ttl <= 5000, `window TTL ${ttl}`);
    });

    it("ioredis defineCommand with numberOfKeys (EVALSHA, NOSCRIPT fallback to EVAL)", async () => {
      client.defineCommand("casSet", {
        numberOfKeys: 1,
        lua: "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0",
      });
      const c = client as Redis & { casSet(key: string, expected: string, next: string): Promise<number> };
      await client.set("cas", "v1");
      assert.equal(await c.casSet("cas", "v1", "v2"), 1);
      assert.equal(await c.casSet("cas", "v1", "v3"), 0);
      assert.equal(await client.get("cas"), "v2");
      await client.script("FLUSH");
      assert.equal(await c.casSet("cas", "v2", "v4"), 1);
      assert.equal(await client.get("cas"), "v4");
    });
  });
}
