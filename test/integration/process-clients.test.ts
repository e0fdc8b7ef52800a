import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/** Connection handling: protocol limits, maxclients, idle timeout, output backpressure and limits. */

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(info);
  assert.ok(m, `no ${field} in INFO`);
  return Number(m[1]);
}

/** Sends raw bytes on a fresh socket and collects everything until the server closes it. */
function untilClosed(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("error", reject);
    s.on("close", () => resolve(out));
  });
}

describe("tandem server: clients", () => {
  let server: ServerProcess;
  let c: RawClient;

  before(async () => {
    server = await startTandem({ args: ["--proto-max-bulk-len", "2mb"] });
    c = await server.client();
  });
  after(async () => {
    c?.close();
    await server?.stop();
  });

  it("answers protocol errors with Redis's text and closes only that connection", async () => {
    const cases: [string, string][] = [
      ["*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
      ["*1\r\n$2097153\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
      ["*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"],
      ['PING "x\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
      ["a".repeat(70 * 1024), "-ERR Protocol error: too big inline request\r\n"],
    ];
    for (const [input, expected] of cases) {
      assert.equal(await untilClosed(server.port, input), expected);
    }
    // Commands before the bad bytes in the same chunk are answered first.
    assert.equal(
      await untilClosed(server.port, "PING\r\n*x\r\nPING\r\n"),
      "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert.equal(await c.text("PING"), "+PONG\r\n", "other clients are unaffected");
  });

  it("accepts a bulk of exactly proto-max-bulk-len", async () => {
    const big = "x".repeat(2 * 1024 * 1024);
    assert.equal(await c.text("SET", "big", big), "+OK\r\n");
    assert.equal(await c.text("STRLEN", "big"), `:${big.length}\r\n`);
  });

  it("does not grow memory for a client that announces a huge multibulk and stalls", async () => {
    const before = infoField(await c.text("INFO", "memory"), "used_memory_rss");
    const socks: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = connect(server.port, "127.0.0.1");
      s.write("*1048576\r\n$3\r\nSET\r\n"); // a million arguments announced, none sent
      socks.push(s);
    }
    await waitFor(
      "the stalled clients to connect",
      async () => infoField(await c.text("INFO", "clients"), "connected_clients") >= 21,
    );
    const after = infoField(await c.text("INFO", "memory"), "used_memory_rss");
    for (const s of socks) s.destroy();
    assert.ok(after - before < 200 * 1024 * 1024, `RSS grew by ${after - before}`);
  });
});

describe("tandem server: maxclients and timeout", () => {
  it("refuses clients past maxclients with Redis's error", async () => {
    const s = await startTandem({ args: ["--maxclients", "2"] });
    try {
      const a = await s.client();
      const b = await s.client();
      assert.equal(await untilClosed(s.port, ""), "-ERR max number of clients reached\r\n");
      assert.equal(await a.text("PING"), "+PONG\r\n");
      assert.match(await b.text("INFO", "stats"), /rejected_connections:1\r\n/);
      a.close();
      b.close();
    } finally {
      await s.stop();
    }
  });

  it("closes clients idle longer than timeout, not active ones", async () => {
    const s = await startTandem({ args: ["--timeout", "1"] });
    try {
      const idle = await s.client();
      const closed = new Promise<void>((r) => idle.socket.once("close", () => r()));
      const busy = await s.client();
      const start = Date.now();
      let ticks = 0;
      let idleClosed = false;
      void closed.then(() => (idleClosed = true));
      while (!idleClosed && Date.now() - start < 5000) {
        assert.equal(await busy.text("PING"), "+PONG\r\n");
        ticks++;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(Date.now() - start < 5000, "idle client was not closed");
      assert.ok(Date.now() - start >= 900, "closed too early");
      assert.equal(await busy.text("PING"), "+PONG\r\n");
      assert.ok(ticks > 0);
      busy.close();
    } finally {
      await s.stop();
    }
  });
});

describe("tandem server: output backpressure", () => {
  it("a client pipelining GETs of a large value without reading does not grow server memory", async () => {
    const s = await startTandem();
    try {
      const c = await s.client();
      const value = "v".repeat(1024 * 1024);
      await c.text("SET", "large", value);
      const before = infoField(await c.text("INFO", "memory"), "used_memory_rss");
      const reader = connect(s.port, "127.0.0.1");
      await new Promise((r) => reader.once("connect", r));
      reader.pause(); // never reads
      const gets = Buffer.concat(Array.from({ length: 600 }, () => encodeCommand(["GET", "large"])));
      reader.write(gets); // 600 MiB of replies if the server buffered them all
      await waitFor(
        "the server to start answering",
        async () => infoField(await c.text("INFO", "stats"), "total_net_output_bytes") > 4 * 1024 * 1024,
      );
      let peak = 0;
      for (let i = 0; i < 10; i++) {
        peak = Math.max(peak, infoField(await c.text("INFO", "memory"), "used_memory_rss"));
        assert.equal(await c.text("PING"), "+PONG\r\n", "other clients are served");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(peak - before < 150 * 1024 * 1024, `RSS grew by ${peak - before} bytes`);
      // Reading resumes the pipeline: every reply arrives, in full.
      let received = 0;
      const expected = 600 * (value.length + "$1048576\r\n\r\n".length);
      reader.on("data", (d: Buffer) => (received += d.length));
      reader.resume();
      await waitFor("all replies", () => received >= expected, { timeoutMs: 60_000 });
      assert.equal(received, expected);
      reader.destroy();
      c.close();
    } finally {
      await s.stop();
    }
  });

  it("closes a normal client over client-output-buffer-limit", async () => {
    const s = await startTandem({ args: ["--client-output-buffer-limit", "normal", "1mb", "0", "0"] });
    try {
      const c = await s.client();
      await c.text("SET", "large", "v".repeat(512 * 1024));
      const acceptedBefore = infoField(await c.text("INFO", "stats"), "total_connections_received");
      const reader = connect(s.port, "127.0.0.1");
      await new Promise((r) => reader.once("connect", r));
      reader.pause();
      const closed = new Promise<void>((r) => reader.once("close", () => r()));
      reader.write(Buffer.concat(Array.from({ length: 100 }, () => encodeCommand(["GET", "large"]))));
      // Regression: under load the server may accept the reader after the first INFO below, which then saw
      // one client and let the test resume the reader before the server had judged it (a hang).
      await waitFor(
        "the server to accept the reader",
        async () => infoField(await c.text("INFO", "stats"), "total_connections_received") > acceptedBefore,
      );
      await waitFor(
        "the client to be closed",
        async () => infoField(await c.text("INFO", "clients"), "connected_clients") === 1,
      );
      reader.resume();
      await closed;
      assert.equal(await c.text("PING"), "+PONG\r\n");
      c.close();
    } finally {
      await s.stop();
    }
  });
});
