import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { startTandem } from "../helpers/processes.js";
import { rssMb } from "../helpers/rss.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Clients that try to make the server hold memory: a storm past maxclients, bulks and multibulks announced
 * huge and never sent, a client that never reads its replies. Each scenario checks that the offender gets
 * Redis's error (or simply waits, where Redis waits too), that a watcher connection keeps being served,
 * and prints the server's peak RSS (VmHWM) as its figure.
 */

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => {});
    s.once("connect", () => resolve(s));
    s.once("close", () => resolve(s));
  });
}

/** What the server writes to `s` until it closes it (or `ms` passes). */
function firstReply(s: Socket, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const t = setTimeout(() => resolve(got), ms);
    s.on("data", (d: Buffer) => (got += d.toString("latin1")));
    s.once("close", () => {
      clearTimeout(t);
      resolve(got);
    });
  });
}

describe("resource limits (fault suite)", () => {
  it("a storm of 600 connections past maxclients 100", async (t) => {
    const s = await startTandem({ args: ["--maxclients", "100"] });
    try {
      const watcher = await s.client();
      const socks = await Promise.all(Array.from({ length: 600 }, () => open(s.port)));
      const replies = await Promise.all(socks.map((x) => firstReply(x, 1500)));
      const refused = replies.filter((r) => r === "-ERR max number of clients reached\r\n").length;
      assert.equal(await watcher.text("PING"), "+PONG\r\n");
      // 99 slots were left besides the watcher; every other connection got Redis's error and was closed.
      assert.equal(refused, 600 - 99);
      for (const x of socks) x.destroy();
      await waitFor("the storm's connections to be gone", async () =>
        /connected_clients:1\r\n/.test(await watcher.text("INFO", "clients")),
      );
      t.diagnostic(`maxclients storm: ${refused} of 600 refused, peak RSS ${rssMb(s.pid)} MB`);
      watcher.close();
    } finally {
      await s.stop();
    }
  });

  it("bulks announced at 512 MB and multibulks at 1,048,577 elements, then silence", async (t) => {
    const s = await startTandem();
    try {
      const watcher = await s.client();
      const before = rssMb(s.pid, "VmRSS");
      // Over proto-max-bulk-len: refused at once with Redis's error.
      const over = await open(s.port);
      over.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n");
      assert.equal(await firstReply(over), "-ERR Protocol error: invalid bulk length\r\n");
      // At the limit, and a million-element multibulk: accepted as Redis does, waiting for the data;
      // nothing is reserved for what was only announced.
      const stalled: Socket[] = [];
      for (let i = 0; i < 20; i++) {
        const a = await open(s.port);
        a.write(
          Buffer.concat([
            Buffer.from("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n"),
            Buffer.alloc(64 * 1024, 120),
          ]),
        );
        const b = await open(s.port);
        b.write("*1048577\r\n$5\r\nRPUSH\r\n");
        stalled.push(a, b);
      }
      await waitFor("the stalled clients to be connected", async () =>
        /connected_clients:41\r\n/.test(await watcher.text("INFO", "clients")),
      );
      assert.equal(await watcher.text("PING"), "+PONG\r\n");
      const grown = rssMb(s.pid, "VmRSS") - before;
      assert.ok(grown < 150, `RSS grew by ${grown} MB for 40 stalled clients`);
      for (const x of stalled) x.destroy();
      t.diagnostic(
        `announced-but-unsent requests: RSS +${grown} MB for 40 clients, peak RSS ${rssMb(s.pid)} MB`,
      );
      watcher.close();
    } finally {
      await s.stop();
    }
  });

  it("a client that pipelines GETs of a 1 MB value and never reads", async (t) => {
    const s = await startTandem({ args: ["--client-output-buffer-limit", "normal", "64mb", "32mb", "5"] });
    try {
      const watcher = await s.client();
      await watcher.text("SET", "large", "v".repeat(1024 * 1024));
      const offender = await open(s.port);
      offender.pause();
      const gets = Buffer.concat(Array.from({ length: 1000 }, () => encodeCommand(["GET", "large"])));
      offender.write(gets); // 1 GB of replies if all were buffered
      let peakServed = 0;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        assert.equal(await watcher.text("PING"), "+PONG\r\n");
        peakServed = Math.max(peakServed, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
      const peak = rssMb(s.pid);
      assert.ok(peak < 400, `peak RSS ${peak} MB`);
      offender.destroy();
      t.diagnostic(
        `never-reading client: peak RSS ${peak} MB, slowest watcher PING ${peakServed.toFixed(1)} ms`,
      );
      watcher.close();
    } finally {
      await s.stop();
    }
  });
});
