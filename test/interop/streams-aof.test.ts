import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RespErrorReply } from "../../src/resp/resp-value.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { streamState } from "../helpers/stream-replies.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Streams in the append-only file. Tandem replays its own AOF after kill -9, before and after a rewrite
 * (the rewrite's base is an RDB, as Redis's default aof-use-rdb-preamble), with the commands streams
 * propagate in another form (XADD with its generated ID and exact trim, XREADGROUP and XAUTOCLAIM as
 * XCLAIM ... FORCE JUSTID LASTID, NOACK reads as XGROUP SETID/CREATECONSUMER). And Tandem loads the AOF a
 * redis-server rewrote with aof-use-rdb-preamble no (streams rebuilt by XADD, XSETID, XGROUP CREATE ...
 * ENTRIESREAD, XCLAIM ... TIME ... RETRYCOUNT and XGROUP CREATECONSUMER), holding what a redis-server
 * loading the same files holds.
 */

const KEYS = ["w:a", "w:b", "w:empty", "w:big"];

async function ok(c: RawClient, ...cmd: (string | number)[]): Promise<void> {
  const reply = await c.call(...cmd);
  assert.ok(!(reply instanceof RespErrorReply), `${cmd.join(" ")}: ${String(reply)}`);
}

async function writeSome(c: RawClient, round: number): Promise<void> {
  const base = round * 1000;
  for (let i = 1; i <= 40; i++) await ok(c, "XADD", "w:a", `${base + i}-*`, "f", `r${round}v${i}`, "n", i);
  await ok(c, "XADD", "w:b", "99999999999999-*", "x", round);
  await ok(c, "XADD", "w:b", "*", "x", round);
  await ok(c, "XDEL", "w:a", `${base + 3}-0`, `${base + 4}-0`);
  await ok(c, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", 6, "STREAMS", "w:a", ">");
  await ok(c, "XREADGROUP", "GROUP", "g2", "bob", "NOACK", "COUNT", 4, "STREAMS", "w:a", ">");
  await ok(c, "XCLAIM", "w:a", "g1", "carol", 0, `${base + 5}-0`, "RETRYCOUNT", 7, "IDLE", 10);
  await ok(c, "XACK", "w:a", "g1", `${base + 6}-0`);
  await ok(c, "XAUTOCLAIM", "w:a", "g1", "dave", 0, "0", "COUNT", 2);
  await ok(c, "XGROUP", "CREATECONSUMER", "w:a", "g2", `idle${round}`);
  await ok(c, "XSETID", "w:b", `99999999999999-${100 * (round + 1)}`, "ENTRIESADDED", 50 * (round + 1));
  for (let i = 1; i <= 120; i++)
    await ok(c, "XADD", "w:big", "MAXLEN", "~", 150, `${base + i}-0`, "v", "q".repeat(i % 30));
  await ok(c, "XTRIM", "w:big", "MINID", "~", `${base + 30}`);
}

async function setup(c: RawClient): Promise<void> {
  await ok(c, "CONFIG", "SET", "stream-node-max-entries", "8");
  await ok(c, "XGROUP", "CREATE", "w:a", "g1", "$", "MKSTREAM");
  await ok(c, "XGROUP", "CREATE", "w:a", "g2", "$");
  await ok(c, "XGROUP", "CREATE", "w:empty", "g", "$", "MKSTREAM");
}

async function states(c: RawClient): Promise<string[]> {
  return Promise.all(KEYS.map((k) => streamState(c, k)));
}

async function rewriteDone(c: RawClient): Promise<void> {
  await waitFor("the AOF rewrite to finish", async () =>
    (await c.text("INFO", "persistence")).includes("aof_rewrite_in_progress:0"),
  );
}

describe("streams in the AOF", () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  });
  const serve = async (s: Promise<ServerProcess>): Promise<[ServerProcess, RawClient]> => {
    const p = await s;
    servers.push(p);
    await waitFor("the dataset to be loaded", async () => {
      const c = await p.client();
      try {
        return (await c.text("INFO", "persistence")).includes("loading:0");
      } finally {
        c.close();
      }
    });
    const c = await p.client();
    clients.push(c);
    return [p, c];
  };

  it("Tandem replays its own AOF after kill -9, before and after BGREWRITEAOF", async () => {
    const aofArgs = ["--appendonly", "yes", "--appendfsync", "always", "--stream-node-max-entries", "8"];
    const [a, c] = await serve(startTandem({ args: aofArgs }));
    await setup(c);
    await writeSome(c, 0);
    const before = await states(c);
    a.kill("SIGKILL");
    await a.exited;
    const [b, d] = await serve(startTandem({ args: aofArgs, dir: a.dir }));
    assert.deepEqual(await states(d), before, "after replaying the AOF");
    assert.equal(await d.text("BGREWRITEAOF"), "+Background append only file rewriting started\r\n");
    await rewriteDone(d);
    await writeSome(d, 1);
    const later = await states(d);
    b.kill("SIGKILL");
    await b.exited;
    const [, e] = await serve(startTandem({ args: aofArgs, dir: a.dir }));
    assert.deepEqual(await states(e), later, "after replaying the rewritten AOF");
  });

  it("Tandem loads a redis-server AOF rewritten as commands, as redis-server does", {
    skip: NO_REDIS,
  }, async () => {
    const args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "no"];
    const [redis, r] = await serve(startRedis({ args: [...args, "--stream-node-max-entries", "8"] }));
    await setup(r);
    await writeSome(r, 0);
    assert.match(await r.text("BGREWRITEAOF"), /rewriting started/);
    await rewriteDone(r);
    await writeSome(r, 1);
    const manifest = readFileSync(join(redis.dir, "appendonlydir", "appendonly.aof.manifest"), "latin1");
    assert.match(manifest, /base\.aof seq \d+ type b/, "a command-form base");
    // Two copies of the same files: one for Tandem, one for a fresh redis-server as the reference.
    const mine = mkdtempSync(join(tmpdir(), "stream-aof-t-"));
    const theirs = mkdtempSync(join(tmpdir(), "stream-aof-r-"));
    cpSync(join(redis.dir, "appendonlydir"), join(mine, "appendonlydir"), { recursive: true });
    cpSync(join(redis.dir, "appendonlydir"), join(theirs, "appendonlydir"), { recursive: true });
    const [, t] = await serve(
      startTandem({ dir: mine, args: ["--appendonly", "yes", "--stream-node-max-entries", "8"] }),
    );
    const [, ref] = await serve(
      startRedis({ dir: theirs, args: ["--appendonly", "yes", "--stream-node-max-entries", "8"] }),
    );
    assert.deepEqual(await states(t), await states(ref));
  });
});
