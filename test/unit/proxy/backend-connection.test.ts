import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { BackendConnection, type ConnectionHost } from "../../../src/proxy/backend-connection.js";
import type { BackendError } from "../../../src/proxy/backend-error.js";
import { BackendStats } from "../../../src/proxy/observability/backend-stats.js";
import type { OffsetProbe } from "../../../src/proxy/offset-probe.js";
import { PendingReply, type ReplyOwner, SlotState } from "../../../src/proxy/pending-reply.js";
import { WriteBatcher } from "../../../src/proxy/write-batcher.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * One backend connection against an in-process fake RESP server on 127.0.0.1:0 (it records the bytes it
 * receives and answers only what a test scripts), with a fake host and fake reply owners. Reply chunking
 * is made exact by emitting 'data' on the connection's own socket: the same path a kernel read takes.
 */

class FakeServer {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  received = "";
  port = 0;
  constructor() {
    this.server = createServer((s) => {
      this.sockets.push(s);
      s.on("data", (d) => {
        this.received += d.toString("latin1");
      });
      s.on("error", () => {});
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }
  async receivedExactly(text: string): Promise<void> {
    await waitFor(`the fake server to receive ${JSON.stringify(text)}`, () => this.received === text);
  }
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

class FakeHost implements ConnectionHost {
  readonly label = "fake";
  readonly tls = null;
  outstanding = 0;
  readonly stats = new BackendStats();
  readonly writes = new WriteBatcher();
  readonly lost: BackendError[] = [];
  readonly unavailableReplies: string[] = [];
  afterRepliesCalls = 0;
  connectionLost(_conn: BackendConnection, err: BackendError): void {
    this.lost.push(err);
  }
  newProbe(): OffsetProbe {
    throw new Error("these tests send no tracked writes");
  }
  afterReplies(): void {
    this.afterRepliesCalls++;
  }
  unavailable(reply: string): void {
    this.unavailableReplies.push(reply);
  }
  release(): void {}
}

/** A session stand-in: records every reply it is handed, in order, and which reads it re-routed. */
class FakeOwner implements ReplyOwner {
  readonly answers: { slot: PendingReply; text: string }[] = [];
  readonly redispatched: PendingReply[] = [];
  constructor(private readonly acceptRedispatch = false) {}
  replyReady(slot: PendingReply): void {
    assert.ok(slot.buf !== null);
    this.answers.push({ slot, text: slot.buf.toString("latin1", slot.start, slot.end) });
  }
  redispatch(slot: PendingReply): boolean {
    if (!this.acceptRedispatch) return false;
    this.redispatched.push(slot);
    return true;
  }
  textOf(slot: PendingReply): string[] {
    return this.answers.filter((a) => a.slot === slot).map((a) => a.text);
  }
}

const servers: FakeServer[] = [];
const connections: BackendConnection[] = [];
after(() => {
  for (const c of connections) c.socket.destroy();
  for (const s of servers) s.close();
});

async function setup(
  password = "",
  proto = 2,
): Promise<{ server: FakeServer; host: FakeHost; conn: BackendConnection }> {
  const server = await new FakeServer().listen();
  servers.push(server);
  const host = new FakeHost();
  const conn = new BackendConnection(
    host,
    { host: "127.0.0.1", port: server.port },
    password,
    5000,
    false,
    proto,
  );
  connections.push(conn);
  await waitFor("the connection to be up", () => conn.connected);
  return { server, host, conn };
}

/** Sends one request for `owner` and returns its slot. */
function request(
  conn: BackendConnection,
  owner: ReplyOwner,
  argv: string[],
  { db = 0, name = "", retryable = false } = {},
): PendingReply {
  const slot = new PendingReply(owner);
  slot.retryable = retryable;
  const bytes = encodeCommand(argv);
  conn.send(slot, bytes, 0, bytes.length, db, name);
  return slot;
}

const cmd = (...argv: string[]) => encodeCommand(argv).toString("latin1");
/** After the socket's own 'error'/'close' events have run: the loss was still reported once only. */
async function reportedOnce(host: FakeHost, conn: BackendConnection): Promise<void> {
  await waitFor("the socket to be closed", () => conn.socket.closed);
  await new Promise((r) => setImmediate(r));
  assert.equal(host.lost.length, 1, "the loss is reported once");
}

const lostText =
  /^-ERR Tandem proxy: lost the connection to backend fake \((connection closed|ECONNRESET)\)\r\n$/;

describe("BackendConnection: matching replies to requests", () => {
  const replies = [
    "$5\r\nhello\r\n",
    "-ERR wrong\r\n",
    ":42\r\n",
    "*2\r\n$1\r\nx\r\n*1\r\n:1\r\n",
    "$-1\r\n",
  ];
  const stream = Buffer.from(replies.join(""), "latin1");

  it("fills each slot with its own reply, whatever the chunk split (every position, then byte by byte)", async () => {
    const { host, conn } = await setup();
    const splits: number[][] = [];
    for (let cut = 1; cut < stream.length; cut++) splits.push([cut]);
    splits.push(Array.from({ length: stream.length - 1 }, (_, i) => i + 1));
    let errorReplies = 0;
    for (const cuts of splits) {
      const owner = new FakeOwner();
      const slots = replies.map((_, i) => request(conn, owner, ["GET", `k${i}`]));
      assert.equal(conn.pending, replies.length);
      const bounds = [0, ...cuts, stream.length];
      const callsBefore = host.afterRepliesCalls;
      for (let i = 0; i + 1 < bounds.length; i++)
        // A copy per chunk, as each socket read is its own buffer.
        conn.socket.emit("data", Buffer.from(stream.subarray(bounds[i], bounds[i + 1])));
      const where = `cuts ${cuts.join(",")}`;
      assert.deepEqual(
        owner.answers.map((a) => a.slot),
        slots,
        `${where}: replies handed over in request order`,
      );
      assert.deepEqual(
        owner.answers.map((a) => a.text),
        replies,
        `${where}: each slot holds its reply`,
      );
      for (const s of slots) assert.equal(s.state, SlotState.READY);
      assert.equal(conn.pending, 0, where);
      assert.equal(host.outstanding, 0, where);
      assert.equal(
        host.afterRepliesCalls - callsBefore,
        bounds.length - 1,
        `${where}: afterReplies per chunk`,
      );
      errorReplies++;
    }
    assert.equal(host.stats.requests, splits.length * replies.length);
    assert.equal(host.stats.errorReplies, errorReplies);
    assert.deepEqual(host.lost, []);
  });

  it("writes a turn's pipelined requests in one write, with SELECT / CLIENT SETNAME where a session differs; their replies are swallowed", async () => {
    const { server, conn } = await setup();
    const writes: number[] = [];
    const write = conn.socket.write.bind(conn.socket);
    conn.socket.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof conn.socket.write;
    const owner = new FakeOwner();
    const a = request(conn, owner, ["SET", "a", "1"]);
    const b = request(conn, owner, ["GET", "a"], { db: 2 });
    const c = request(conn, owner, ["GET", "b"], { db: 2, name: "app" });
    const d = request(conn, owner, ["PING"]);
    const expected =
      cmd("SET", "a", "1") +
      cmd("SELECT", "2") +
      cmd("GET", "a") +
      cmd("CLIENT", "SETNAME", "app") +
      cmd("GET", "b") +
      cmd("SELECT", "0") +
      cmd("CLIENT", "SETNAME", "") +
      cmd("PING");
    assert.equal(server.received, "", "nothing written before the end of the turn");
    await server.receivedExactly(expected);
    assert.deepEqual(writes, [expected.length], "one write for the whole turn");
    assert.equal(conn.db, 0);
    assert.equal(conn.name, "", "an empty name clears the connection's name, as in Redis");
    server.sockets[0].write("+OK\r\n+OK\r\n$1\r\n1\r\n+OK\r\n$-1\r\n+OK\r\n+OK\r\n+PONG\r\n");
    await waitFor("four replies", () => owner.answers.length === 4);
    assert.deepEqual(
      [a, b, c, d].map((s) => owner.textOf(s)),
      [["+OK\r\n"], ["$1\r\n1\r\n"], ["$-1\r\n"], ["+PONG\r\n"]],
    );
  });

  it("sends AUTH and HELLO first on connect and drops their replies", async () => {
    const { server, conn } = await setup("secret", 3);
    assert.equal(conn.proto, 3);
    const owner = new FakeOwner();
    const ping = request(conn, owner, ["PING"]);
    await server.receivedExactly(cmd("AUTH", "secret") + cmd("HELLO", "3") + cmd("PING"));
    server.sockets[0].write("+OK\r\n%1\r\n+proto\r\n:3\r\n+PONG\r\n");
    await waitFor("the PING reply", () => owner.answers.length === 1);
    assert.deepEqual(owner.textOf(ping), ["+PONG\r\n"]);
  });
});

describe("BackendConnection: failures", () => {
  it("a drop mid-flight: answered replies stay, reads go back for redispatch, the rest get the error once", async () => {
    const { server, host, conn } = await setup();
    const plain = new FakeOwner(false);
    const rerouting = new FakeOwner(true);
    const answered = request(conn, plain, ["GET", "a"], { retryable: true });
    const write = request(conn, plain, ["SET", "b", "1"]);
    const read = request(conn, rerouting, ["GET", "c"], { retryable: true });
    const readNowhere = request(conn, plain, ["GET", "d"], { retryable: true });
    await server.receivedExactly(cmd("GET", "a") + cmd("SET", "b", "1") + cmd("GET", "c") + cmd("GET", "d"));
    server.sockets[0].end("$1\r\nA\r\n");
    await waitFor("the loss to be reported", () => host.lost.length > 0);
    assert.equal(host.lost.length, 1);
    assert.equal(host.lost[0].code, "TANDEM_BACKEND_CONNECTION_LOST");
    assert.equal(host.lost[0].isFailure, true);
    assert.equal(conn.closed, true);
    assert.deepEqual(plain.textOf(answered), ["$1\r\nA\r\n"]);
    assert.deepEqual(rerouting.redispatched, [read]);
    assert.equal(read.state, SlotState.WAITING, "a redispatched read is not answered here");
    assert.deepEqual(rerouting.answers, []);
    for (const slot of [write, readNowhere]) {
      const texts = plain.textOf(slot);
      assert.equal(texts.length, 1, "answered exactly once");
      assert.match(texts[0], lostText);
    }
    assert.equal(host.outstanding, 0);
    assert.equal(host.stats.connectionErrors, 3);
    // The socket's later events ('end', 'close') do not report the loss or answer anything again.
    await reportedOnce(host, conn);
    assert.equal(plain.answers.length, 3);
  });

  it("a refused connection fails its queued requests with TANDEM_BACKEND_CONNECT_FAILED", async () => {
    const gone = await new FakeServer().listen();
    gone.close();
    const host = new FakeHost();
    const conn = new BackendConnection(host, { host: "127.0.0.1", port: gone.port }, "", 5000, false);
    connections.push(conn);
    const owner = new FakeOwner();
    const slot = request(conn, owner, ["GET", "a"]);
    await waitFor("the failure", () => host.lost.length > 0);
    assert.equal(host.lost[0].code, "TANDEM_BACKEND_CONNECT_FAILED");
    assert.equal(conn.connected, false);
    assert.deepEqual(owner.textOf(slot), [
      "-ERR Tandem proxy: lost the connection to backend fake (ECONNREFUSED)\r\n",
    ]);
    await reportedOnce(host, conn);
  });

  it("bytes that are not RESP end the connection with TANDEM_BACKEND_PROTOCOL", async () => {
    const { host, conn } = await setup();
    const owner = new FakeOwner();
    const slot = request(conn, owner, ["GET", "a"]);
    conn.socket.emit("data", Buffer.from("?what\r\n"));
    assert.deepEqual(
      host.lost.map((e) => e.code),
      ["TANDEM_BACKEND_PROTOCOL"],
    );
    assert.equal(owner.textOf(slot).length, 1);
    assert.match(
      owner.textOf(slot)[0],
      /^-ERR Tandem proxy: lost the connection to backend fake \(protocol error/,
    );
    await reportedOnce(host, conn);
  });

  it("a reply nobody asked for ends the connection with TANDEM_BACKEND_UNEXPECTED_REPLY", async () => {
    const { host, conn } = await setup();
    const owner = new FakeOwner();
    const slot = request(conn, owner, ["GET", "a"]);
    conn.socket.emit("data", Buffer.from("+first\r\n+second\r\n"));
    assert.deepEqual(
      host.lost.map((e) => e.code),
      ["TANDEM_BACKEND_UNEXPECTED_REPLY"],
    );
    assert.deepEqual(owner.textOf(slot), ["+first\r\n"], "the matched reply is kept, and nothing more");
    await reportedOnce(host, conn);
  });

  it("-LOADING / -MASTERDOWN to a retryable read: the backend leaves the rotation and the read is redispatched", async () => {
    const { host, conn } = await setup();
    const rerouting = new FakeOwner(true);
    const plain = new FakeOwner(false);
    const read = request(conn, rerouting, ["GET", "a"], { retryable: true });
    const write = request(conn, plain, ["SET", "a", "1"]);
    const read2 = request(conn, rerouting, ["GET", "b"], { retryable: true });
    conn.socket.emit(
      "data",
      Buffer.from(
        "-LOADING Redis is loading the dataset in memory\r\n-LOADING Redis is loading the dataset in memory\r\n-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n",
      ),
    );
    assert.deepEqual(rerouting.redispatched, [read, read2]);
    assert.deepEqual(rerouting.answers, []);
    assert.deepEqual(host.unavailableReplies, [
      "LOADING Redis is loading the dataset in memory",
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    ]);
    // A write is not retried: it gets the error as it came.
    assert.deepEqual(plain.textOf(write), ["-LOADING Redis is loading the dataset in memory\r\n"]);
    assert.deepEqual(host.lost, []);
  });
});
