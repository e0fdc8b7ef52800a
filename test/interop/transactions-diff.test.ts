import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/** MULTI/EXEC/WATCH: the same sequences against Tandem and Debian's redis-server, replies byte for byte. */
describe("transactions: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;
  let t2: RawClient;
  let r2: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [t, r, t2, r2] = await Promise.all([tandem.client(), redis.client(), tandem.client(), redis.client()]);
  });

  after(async () => {
    for (const c of [t, r, t2, r2]) c?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  const both = async (...args: (string | number)[]) => same(t, r, args);

  it("queues commands and runs them at EXEC, runtime errors not stopping the rest", async () => {
    await both("FLUSHALL");
    await both("MULTI");
    await both("SET", "a", "x");
    await both("INCR", "a");
    await both("LPUSH", "a", "y");
    await both("GET", "a");
    await both("EXEC");
  });

  it("aborts with EXECABORT after a queuing error (unknown command, wrong arity)", async () => {
    await both("MULTI");
    await both("SET", "a", "1");
    await both("NOSUCHCMD", "x");
    await both("GET");
    await both("EXEC");
    await both("GET", "a");
  });

  it("answers Redis's errors for misplaced MULTI/EXEC/DISCARD/WATCH", async () => {
    await both("EXEC");
    await both("DISCARD");
    await both("MULTI");
    await both("MULTI");
    await both("WATCH", "k");
    await both("DISCARD");
    await both("UNWATCH");
  });

  it("regression: WATCH broken by another client's write makes EXEC return a null array", async () => {
    for (const [a, b] of [
      [t, t2],
      [r, r2],
    ] as const) {
      await a.text("SET", "w", "1");
      await a.text("WATCH", "w");
      await b.text("SET", "w", "2");
      await a.text("MULTI");
      await a.text("SET", "w", "3");
      assert.equal(await a.text("EXEC"), "*-1\r\n");
      assert.equal(await a.text("GET", "w"), "$1\r\n2\r\n");
    }
  });

  it("regression: WATCH broken by FLUSHALL of an existing key, not of a missing one", async () => {
    for (const [a, b] of [
      [t, t2],
      [r, r2],
    ] as const) {
      await a.text("SET", "f", "1");
      await a.text("WATCH", "f");
      await b.text("FLUSHALL");
      await a.text("MULTI");
      await a.text("PING");
      assert.equal(
        await a.text("EXEC"),
        "*-1\r\n",
        `${a === t ? "tandem" : "redis"}: FLUSHALL of a watched key`,
      );
      await a.text("WATCH", "missing");
      await b.text("FLUSHALL");
      await a.text("MULTI");
      await a.text("PING");
      assert.equal(
        await a.text("EXEC"),
        "*1\r\n+PONG\r\n",
        `${a === t ? "tandem" : "redis"}: FLUSHALL of a missing key`,
      );
    }
  });

  it("regression: WATCH broken when the watched key's TTL passes before EXEC", async () => {
    for (const a of [t, r]) {
      await a.text("SET", "e", "1", "PX", "30");
      await a.text("WATCH", "e");
      await waitFor("the key to expire", async () => (await a.text("PTTL", "e")) === ":-2\r\n");
      await a.text("MULTI");
      await a.text("PING");
      assert.equal(await a.text("EXEC"), "*-1\r\n");
    }
  });

  it("an unrelated write does not break a WATCH; UNWATCH clears it", async () => {
    await both("SET", "u", "1");
    await both("WATCH", "u");
    await same(t2, r2, ["SET", "other", "1"]);
    await both("MULTI");
    await both("INCR", "u");
    await both("EXEC");
    await both("WATCH", "u");
    await same(t2, r2, ["SET", "u", "5"]);
    await both("UNWATCH");
    await both("MULTI");
    await both("INCR", "u");
    await both("EXEC");
  });
});
