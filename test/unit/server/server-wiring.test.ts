import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { ServerConfig } from "../../../src/config/server-config.js";
import { SlaveState } from "../../../src/replication/attached-replica.js";
import { ClientFlag } from "../../../src/server/client.js";
import { Server } from "../../../src/server/server.js";
import { RawClient } from "../../helpers/raw-client.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * The server as one object built in one place: two servers in one process share no state (client ids,
 * replication, persistence), the end of a turn writes the AOF before the replicas and the replicas before
 * the clients, and an exception in a command handler is reported and answered without harming anyone else.
 * All in-process: Servers listening on ephemeral ports of 127.0.0.1, driven by raw RESP clients.
 */

interface LogLine {
  level: number;
  msg: string;
  client?: string;
  argv?: string[];
  err?: { message: string; stack: string };
}

/** An in-process server on an ephemeral port; its log lines (warnings and up) are collected. */
async function startServer(args: string[] = []): Promise<{ server: Server; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const server = new Server(ServerConfig.load(null, ["--port", "0", "--save", "", ...args]), log);
  await server.listen();
  return { server, logs };
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, "m").exec(info)?.[1];
}

describe("two servers in one process", () => {
  let a: Server;
  let b: Server;
  before(async () => {
    a = (await startServer()).server;
    b = (await startServer()).server;
  });
  after(async () => {
    await a.shutdown({ save: false });
    await b.shutdown({ save: false });
  });

  it("number their clients independently", async () => {
    const onA = [await RawClient.connect(a.boundPort), await RawClient.connect(a.boundPort)];
    const onB = await RawClient.connect(b.boundPort);
    try {
      const firstA = await onA[0].text("CLIENT", "ID");
      assert.equal(await onA[1].text("CLIENT", "ID"), `:${Number(firstA.slice(1)) + 1}\r\n`);
      // b's first connection is numbered as a's first was: the counter is b's own.
      assert.equal(await onB.text("CLIENT", "ID"), firstA);
    } finally {
      for (const c of [...onA, onB]) c.close();
    }
  });

  it("have their own data, persistence and replication state", async () => {
    assert.notEqual(a.persistence, b.persistence);
    assert.notEqual(a.replication, b.replication);
    const ca = await RawClient.connect(a.boundPort);
    const cb = await RawClient.connect(b.boundPort);
    try {
      assert.equal(await ca.text("SET", "k", "on-a"), "+OK\r\n");
      assert.equal(await cb.text("GET", "k"), "$-1\r\n");
      assert.equal(await cb.text("SORT", "nosuch", "ALPHA", "DESC"), "*0\r\n");
    } finally {
      ca.close();
      cb.close();
    }
  });
});

describe("the end of a turn", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-wiring-"));
  const cwd = process.cwd();
  let master: Server;
  let replica: Server;
  before(async () => {
    // The AOF's directory is relative to the working directory (the CLI changes to `dir` first).
    process.chdir(dir);
    master = (await startServer(["--appendonly", "yes", "--appendfsync", "no"])).server;
    await master.persistence.loadAtStartup(); // opens the AOF
    replica = (await startServer(["--replicaof", "127.0.0.1", String(master.boundPort)])).server;
    replica.replication.start();
    await waitFor("the replica's link up and the master streaming to it", () => {
      const r = master.replication.replicas[0];
      return replica.replication.masterLinkUp() && r?.state === SlaveState.ONLINE;
    });
  });
  after(async () => {
    replica.replication.unsetMaster();
    await replica.shutdown({ save: false });
    await master.shutdown({ save: false });
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the AOF, then the replicas' stream, then the replies", async () => {
    const aofText = () => {
      let s = "";
      for (const f of readdirSync(join(dir, "appendonlydir"))) {
        s += readFileSync(join(dir, "appendonlydir", f), "latin1");
      }
      return s;
    };
    const marker = `marker-${process.pid}-${Date.now()}`;
    const writer = await RawClient.connect(master.boundPort);
    try {
      assert.equal(await writer.text("CLIENT", "SETNAME", "writer"), "+OK\r\n");
      const byFlag = (flag: number) => [...master.clients.values()].find((c) => c.flags & flag);
      const replicaConn = byFlag(ClientFlag.SLAVE);
      const writerConn = [...master.clients.values()].find((c) => c.name === "writer");
      assert.ok(replicaConn?.socket && writerConn?.socket);
      // What each socket was handed, in order, and what the AOF held at that moment.
      const events: { to: string; aofHasIt: boolean; replicaHadIt: boolean }[] = [];
      let replicaGotIt = false;
      const watch = (socket: Socket, to: string, onWrite: (text: string) => void) => {
        const write = socket.write;
        socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
          const text = Buffer.isBuffer(chunk) ? chunk.toString("latin1") : String(chunk);
          if (text.includes(marker) || (to === "writer" && text.startsWith("+OK"))) {
            events.push({ to, aofHasIt: aofText().includes(marker), replicaHadIt: replicaGotIt });
          }
          onWrite(text);
          return write.call(this, chunk as Buffer, ...(rest as []));
        } as typeof socket.write;
      };
      watch(replicaConn.socket, "replica", (t) => {
        if (t.includes(marker)) replicaGotIt = true;
      });
      watch(writerConn.socket, "writer", () => {});
      assert.equal(await writer.text("SET", "k", marker), "+OK\r\n");
      const onReplica = await RawClient.connect(replica.boundPort);
      try {
        const want = `$${marker.length}\r\n${marker}\r\n`;
        await waitFor(
          "the replica applies the write",
          async () => (await onReplica.text("GET", "k")) === want,
        );
      } finally {
        onReplica.close();
      }
      assert.deepEqual(events, [
        { to: "replica", aofHasIt: true, replicaHadIt: false },
        { to: "writer", aofHasIt: true, replicaHadIt: true },
      ]);
    } finally {
      writer.close();
    }
  });
});

describe("an exception in a command handler", () => {
  let server: Server;
  let logs: LogLine[];
  before(async () => {
    ({ server, logs } = await startServer());
    // A deliberately failing handler, on this server only: ECHO writes half a reply, then throws.
    server.registry.register([
      {
        name: "echo",
        handler: (c, argv) => {
          c.reply.arrayHeader(2);
          c.reply.bulk(argv[1]);
          throw new Error("deliberate failure");
        },
      },
      {
        name: "auth",
        handler: () => {
          throw new TypeError("deliberate failure in AUTH");
        },
      },
    ]);
  });
  after(async () => {
    await server.shutdown({ save: false });
  });

  it("answers -ERR, drops the partial reply, keeps the connection and the other clients", async () => {
    const bad = await RawClient.connect(server.boundPort);
    const other = await RawClient.connect(server.boundPort);
    try {
      assert.equal(await other.text("SET", "k", "v"), "+OK\r\n");
      const replies = await bad.pipeline([["ECHO", "hello"], ["PING"]]);
      assert.deepEqual(
        replies.map((r) => r.toString("latin1")),
        ["-ERR internal error executing 'echo': deliberate failure\r\n", "+PONG\r\n"],
      );
      assert.equal(await other.text("GET", "k"), "$1\r\nv\r\n");
      assert.match(await other.text("INFO", "errorstats"), /errorstat_ERR:count=1\r\n/);
      // Inside a transaction the failed command is one -ERR element of EXEC's reply.
      assert.equal(await bad.text("MULTI"), "+OK\r\n");
      assert.equal(await bad.text("ECHO", "x"), "+QUEUED\r\n");
      assert.equal(await bad.text("INCR", "n"), "+QUEUED\r\n");
      assert.equal(
        await bad.text("EXEC"),
        "*2\r\n-ERR internal error executing 'echo': deliberate failure\r\n:1\r\n",
      );
      const info = await other.text("INFO", "stats");
      assert.equal(infoField(info, "tandem_command_exceptions"), "2");
      const commandstats = await other.text("INFO", "commandstats");
      assert.match(commandstats, /cmdstat_echo:calls=2,.*,failed_calls=2\r\n/);
    } finally {
      bad.close();
      other.close();
    }
  });

  it("reaches the server's log with the client, the command and the stack", async () => {
    const before = logs.length;
    const c = await RawClient.connect(server.boundPort);
    try {
      assert.equal(await c.text("CLIENT", "SETNAME", "culprit"), "+OK\r\n");
      assert.match(await c.text("AUTH", "s3cret-password"), /^-ERR internal error executing 'auth'/);
    } finally {
      c.close();
    }
    const line = logs.slice(before).find((l) => l.msg.includes("'auth'"));
    assert.ok(line, "a log line for the failed AUTH");
    assert.equal(line.level, 40, "logged as a warning");
    assert.match(line.client ?? "", /^id=\d+ addr=127\.0\.0\.1:\d+ .*name=culprit .*cmd=auth /);
    assert.deepEqual(line.argv, ["AUTH", "(redacted)"], "arguments redacted as the slow log does");
    assert.equal(line.err?.message, "deliberate failure in AUTH");
    assert.match(line.err?.stack ?? "", /TypeError: deliberate failure in AUTH\n\s+at /);
    assert.ok(!JSON.stringify(logs).includes("s3cret-password"), "the password never reaches the log");
  });

  it("during AOF loading stops the load instead of serving a partial dataset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-wiring-aof-"));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const first = (await startServer(["--appendonly", "yes"])).server;
      await first.persistence.loadAtStartup();
      const c = await RawClient.connect(first.boundPort);
      assert.equal(await c.text("SET", "a", "1"), "+OK\r\n");
      assert.equal(await c.text("RPUSH", "l", "x"), ":1\r\n");
      c.close();
      await first.shutdown({ save: false });
      const { server: second, logs } = await startServer(["--appendonly", "yes"]);
      second.registry.register([
        {
          name: "rpush",
          handler: () => {
            throw new Error("deliberate failure in RPUSH");
          },
        },
      ]);
      await assert.rejects(second.persistence.loadAtStartup(), {
        message: /^Fatal error loading the DB: Exception executing 'rpush' reading the append only file/i,
      });
      assert.ok(logs.some((l) => l.err?.message === "deliberate failure in RPUSH"));
      await second.shutdown({ save: false });
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
