import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Scripts replicate as their effects (Redis 7): replicas — a Tandem one and a redis-server one — and
 * the AOF get the commands a script ran, wrapped in MULTI/EXEC when there are several, never EVAL.
 * Function libraries replicate as FUNCTION LOAD, persist in the RDB (both servers load each other's
 * file) and survive a restart from the AOF.
 */

const LIB =
  "#!lua name=counters\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)";

describe("scripts and functions: replication, AOF, RDB", () => {
  const procs: ServerProcess[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(procs.map((p) => p.stop()));
  });
  async function client(p: ServerProcess): Promise<RawClient> {
    const c = await p.client();
    clients.push(c);
    return c;
  }

  it("a script's effects reach a Tandem replica and a redis-server replica; FUNCTION LOAD too", {
    skip: NO_REDIS,
  }, async () => {
    const master = await startTandem({ args: ["--repl-diskless-sync-delay", "0"] });
    procs.push(master);
    const m = await client(master);
    await m.call("FUNCTION", "LOAD", LIB);
    const tr = await startTandem({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
    const rr = await startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
    procs.push(tr, rr);
    const t = await client(tr);
    const r = await client(rr);
    await Promise.all([waitLinkUp(t), waitLinkUp(r)]);
    // Libraries reach replicas in the full sync's RDB and as FUNCTION LOAD in the stream.
    await m.call(
      "FUNCTION",
      "LOAD",
      "#!lua name=later\nredis.register_function{function_name='later', callback=function() return 'later' end, flags={'no-writes'}}",
    );
    await m.call(
      "EVAL",
      "redis.call('set', KEYS[1], 'a') redis.call('rpush', KEYS[2], 'x', 'y') return redis.call('incr', KEYS[3])",
      3,
      "s",
      "l",
      "n",
    );
    await m.call("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", 1, "single", "one");
    await m.call("EVAL", "return redis.call('get', KEYS[1])", 1, "single");
    await m.call("FCALL", "bump", 1, "n", 10);
    await waitOffsetsEqual(m, [t, r]);
    for (const c of [t, r]) {
      assert.equal(await c.text("GET", "s"), "$1\r\na\r\n");
      assert.equal(await c.text("LRANGE", "l", 0, -1), "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
      assert.equal(await c.text("GET", "n"), "$2\r\n11\r\n");
      assert.equal(await c.text("GET", "single"), "$3\r\none\r\n");
      assert.equal(await c.text("FCALL_RO", "later", 0), "$5\r\nlater\r\n");
      assert.equal(
        await c.text("FUNCTION", "LIST", "LIBRARYNAME", "counters").then((s) => s.includes("bump")),
        true,
      );
    }
    // A Tandem replica refuses scripts that write, as Redis's do.
    assert.equal(
      await t.text("EVAL", "return redis.call('set', 'x', 'y')", 0),
      "-READONLY You can't write against a read only replica. script: 0d9c3ad6f3b8c2fd7f8a1d6b0a4fb5a0a6c8a4b3, on @user_script:1.\r\n".replace(
        "0d9c3ad6f3b8c2fd7f8a1d6b0a4fb5a0a6c8a4b3",
        (await t.text("SCRIPT", "LOAD", "return redis.call('set', 'x', 'y')")).split("\r\n")[1],
      ),
    );
    assert.equal(
      await t.text("EVAL", "#!lua\nreturn redis.call('set', 'x', 'y')", 0),
      "-READONLY You can't write against a read only replica.\r\n",
    );
    assert.equal(
      await t.text("FCALL", "bump", 1, "n", 1),
      "-READONLY You can't write against a read only replica.\r\n",
    );
    assert.equal(await t.text("EVAL_RO", "return redis.call('get', 'n')", 0), "$2\r\n11\r\n");
  });

  it("the AOF holds a script's effects in MULTI/EXEC and FUNCTION LOAD; both come back after a restart", async () => {
    const a = await startTandem({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    procs.push(a);
    const c = await client(a);
    await c.call("FUNCTION", "LOAD", LIB);
    await c.call("EVAL", "redis.call('set', 'k1', 'v1') redis.call('set', 'k2', 'v2') return 1", 0);
    await c.call("EVAL", "return redis.call('set', 'k3', 'v3')", 0);
    await c.call("FCALL", "bump", 1, "ctr", 5);
    const dir = join(a.dir, "appendonlydir");
    const incr = readdirSync(dir).find((f) => f.endsWith(".incr.aof"))!;
    const aof = readFileSync(join(dir, incr), "latin1");
    assert.ok(!aof.includes("EVAL") && !aof.includes("FCALL"), aof);
    assert.ok(aof.includes("*8\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n".slice(4)), aof);
    assert.match(
      aof,
      /MULTI\r\n\*3\r\n\$3\r\nset\r\n\$2\r\nk1\r\n\$2\r\nv1\r\n\*3\r\n\$3\r\nset\r\n\$2\r\nk2\r\n\$2\r\nv2\r\n\*1\r\n\$4\r\nEXEC/,
    );
    assert.match(aof, /\*3\r\n\$3\r\nset\r\n\$2\r\nk3\r\n\$2\r\nv3\r\n(?!\*1\r\n\$4\r\nEXEC)/);
    assert.match(aof, /incrby\r\n\$3\r\nctr\r\n\$1\r\n5/);
    c.close();
    a.kill("SIGKILL");
    await a.exited;
    const b = await startTandem({ args: ["--appendonly", "yes"], dir: a.dir });
    procs.push(b);
    const d = await client(b);
    assert.equal(await d.text("FCALL", "bump", 1, "ctr", 1), ":6\r\n");
    assert.equal(await d.text("MGET", "k1", "k2", "k3"), "*3\r\n$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n");
    // After a rewrite the libraries are in the new base (an RDB with RDB_OPCODE_FUNCTION2).
    await d.call("BGREWRITEAOF");
    await waitFor(
      "rewrite",
      async () => !(await d.text("INFO", "persistence")).includes("aof_rewrite_in_progress:1"),
    );
    await d.call("SET", "after", "1");
    d.close();
    await b.stop();
    const e = await startTandem({ args: ["--appendonly", "yes"], dir: a.dir });
    procs.push(e);
    const f = await client(e);
    assert.equal(await f.text("FCALL", "bump", 1, "ctr", 1), ":7\r\n");
  });

  it("redis-server loads Tandem's RDB with functions, and Tandem loads redis-server's", {
    skip: NO_REDIS,
  }, async () => {
    const t1 = await startTandem();
    procs.push(t1);
    const c1 = await client(t1);
    await c1.call("FUNCTION", "LOAD", LIB);
    await c1.call("SET", "ctr", "100");
    await c1.call("SAVE");
    await t1.stop();
    const r1 = await startRedis({ dir: t1.dir });
    procs.push(r1);
    const c2 = await client(r1);
    assert.equal(await c2.text("FCALL", "bump", 1, "ctr", 1), ":101\r\n");
    await c2.call(
      "FUNCTION",
      "LOAD",
      "#!lua name=fromredis\nredis.register_function('hello', function() return 'from redis' end)",
    );
    await c2.call("SAVE");
    await r1.stop();
    const t2 = await startTandem({ dir: t1.dir });
    procs.push(t2);
    const c3 = await client(t2);
    assert.equal(await c3.text("FCALL", "hello", 0), "$10\r\nfrom redis\r\n");
    assert.equal(await c3.text("FCALL", "bump", 1, "ctr", 1), ":102\r\n");
  });
});
