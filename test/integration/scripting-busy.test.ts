import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Slow scripts past busy-reply-threshold, on Tandem and on Debian's redis-server side by side: other
 * clients get -BUSY (SCRIPT KILL / FUNCTION KILL / FUNCTION STATS still answer), SCRIPT KILL ends a
 * script that has not written (the caller gets Redis's error with the script's line), a script that wrote
 * is -UNKILLABLE and runs to its end, and the server serves everyone again afterwards. Tandem yields to
 * its event loop from the Lua count hook to do this; the replies must match Redis's byte for byte.
 */

/**
 * The line a killed script reports: Redis takes it from its hook's view of Lua 5.1's program counter,
 * which lands a line or so before the loop; Tandem reports the line the coroutine stopped at. The rest of
 * the message is compared exactly.
 */
const killedLine = (s: string) =>
  s.replace(/(Script killed by user with SCRIPT KILL\.\.\. script: \S+, on @user_\w+:)\d+\./, "$1N.");

const LOOP = "local i = 0\nwhile true do i = i + 1 end";
const LOOP_PCALL = "local i = 0\nwhile true do pcall(function() i = i + 1 end) end";
/** Writes first, then spins until a key written by another client... which it cannot see: bounded by time. */
const WRITE_THEN_SPIN =
  "redis.call('set', KEYS[1], '1')\nlocal t = redis.call('time')\nlocal i = 0\nwhile i < tonumber(ARGV[1]) do i = i + 1 end\nreturn i";

describe("busy scripts: -BUSY, SCRIPT KILL, UNKILLABLE", { skip: NO_REDIS }, () => {
  const servers: ServerProcess[] = [];
  const clients: RawClient[] = [];

  before(async () => {
    const args = ["--busy-reply-threshold", "100"];
    servers.push(await startTandem({ args }), await startRedis({ args: ["--busy-reply-threshold", "100"] }));
  });

  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function pair(s: ServerProcess): Promise<[RawClient, RawClient]> {
    const a = await s.client();
    const b = await s.client();
    clients.push(a, b);
    return [a, b];
  }

  /** Waits until `b` gets -BUSY (the script passed the threshold). */
  async function waitBusy(b: RawClient): Promise<string> {
    let reply = "";
    await waitFor("script to be reported busy", async () => {
      reply = await b.text("GET", "x");
      return reply.startsWith("-BUSY");
    });
    return reply;
  }

  for (const body of [LOOP, LOOP_PCALL]) {
    it(`SCRIPT KILL ends a script that did not write (${body.includes("pcall") ? "inside pcall" : "plain loop"})`, async () => {
      const replies: string[][] = [];
      for (const s of servers) {
        const [a, b] = await pair(s);
        const running = a.text("EVAL", body, 0);
        const out: string[] = [await waitBusy(b)];
        out.push(await b.text("FUNCTION", "KILL"));
        out.push((await b.text("FUNCTION", "STATS")).slice(0, 1));
        out.push(await b.text("SCRIPT", "KILL"));
        out.push(killedLine(await running));
        out.push(await b.text("PING"));
        out.push(await b.text("SCRIPT", "KILL"));
        replies.push(out);
      }
      assert.deepEqual(replies[0], replies[1]);
      assert.equal(replies[0][3], "+OK\r\n");
      assert.match(
        replies[0][4],
        /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:N\.\r\n$/,
      );
    });
  }

  it("a script that wrote is UNKILLABLE and finishes; its write is kept", async () => {
    const replies: string[][] = [];
    for (const s of servers) {
      const [a, b] = await pair(s);
      // Long enough to pass the 100 ms threshold on either server, bounded.
      const iterations = s.kind === "tandem" ? 10_000_000 : 100_000_000;
      const running = a.text("EVAL", WRITE_THEN_SPIN, 1, "w", iterations);
      const out: string[] = [await waitBusy(b)];
      out.push(await b.text("SCRIPT", "KILL"));
      out.push((await running).slice(0, 1));
      out.push(await b.text("GET", "w"));
      replies.push(out);
    }
    assert.deepEqual(replies[0], replies[1]);
    assert.match(replies[0][1], /^-UNKILLABLE Sorry the script already executed write commands/);
  });

  it("FUNCTION KILL ends a busy function; SCRIPT KILL refuses it", async () => {
    const lib =
      "#!lua name=spin\nredis.register_function{function_name='spin', callback=function()\nlocal i = 0\nwhile true do i = i + 1 end\nend, flags={'no-writes'}}";
    const replies: string[][] = [];
    for (const s of servers) {
      const [a, b] = await pair(s);
      await a.text("FUNCTION", "LOAD", "REPLACE", lib);
      const running = a.text("FCALL", "spin", 0);
      const out: string[] = [await waitBusy(b)];
      out.push(await b.text("SCRIPT", "KILL"));
      out.push(await b.text("FUNCTION", "KILL"));
      out.push(killedLine(await running));
      out.push(await b.text("PING"));
      replies.push(out);
    }
    assert.deepEqual(replies[0], replies[1]);
  });
});
