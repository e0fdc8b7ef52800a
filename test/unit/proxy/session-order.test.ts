import assert from "node:assert/strict";
import { createConnection, createServer, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { PROXY_DEFAULTS, type ProxyConfig } from "../../../src/config/proxy-config.js";
import type { Backend } from "../../../src/proxy/backend.js";
import { RouteCache } from "../../../src/proxy/command-route.js";
import { ReplicationHistory } from "../../../src/proxy/consistency.js";
import type { DrainController } from "../../../src/proxy/drain.js";
import { ProxyStats } from "../../../src/proxy/observability/proxy-stats.js";
import type { OffsetWaits } from "../../../src/proxy/offset-waits.js";
import { type PendingReply, SlotState } from "../../../src/proxy/pending-reply.js";
import { Router } from "../../../src/proxy/router.js";
import { ScriptCache } from "../../../src/proxy/script-cache.js";
import { Session, type SessionContext } from "../../../src/proxy/session.js";
import { encodeCommand } from "../../../src/resp/reply-writer.js";
import { seededRandom } from "../../helpers/differential.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * The proxy session's reply order through its SessionContext, with fake backends: each backend's shared
 * connection is a fake that records the requests the session sends and is answered by the test, in any
 * order, the way BackendConnection hands over a reply (fill the slot, tell its owner, then the proxy's
 * after-replies flush of touched sessions). The client is a real loopback socket; what the session writes
 * to it is also recorded synchronously, so "nothing yet" is checked without waiting.
 */

class FakeConnection {
  readonly sent: { slot: PendingReply; request: string }[] = [];
  closed = false;
  readonly needsDrain = false;
  constructor(readonly host: FakeBackend) {}
  send(slot: PendingReply, buf: Buffer, start: number, end: number): void {
    this.sent.push({ slot, request: buf.toString("latin1", start, end) });
  }
  probeAfterLastRequest(): never {
    throw new Error("eventual consistency sends no offset probes");
  }
  sendInternal(): never {
    throw new Error("nothing internal is expected in these tests");
  }
}

class FakeBackend {
  readonly health = { role: "master", offset: 0 };
  eligible = true;
  readonly draining = false;
  outstanding = 0;
  readonly weight = 1;
  currentWeight = 0;
  readonly scripts = new Set<string>();
  readonly conn = new FakeConnection(this);
  constructor(readonly label: string) {}
  sharedConnection(): FakeConnection {
    return this.conn;
  }
  release(): void {}
}

/** What BackendConnection.onFrame does with a reply: fill the waiting slot and tell its owner. */
function answer(slot: PendingReply, reply: string): void {
  assert.equal(slot.state, SlotState.WAITING);
  const bytes = Buffer.from(reply, "latin1");
  slot.fill(bytes, 0, bytes.length);
  slot.owner.replyReady(slot);
}

class FakeContext implements SessionContext {
  readonly config: ProxyConfig = { ...PROXY_DEFAULTS, consistency: "eventual" };
  readonly master = new FakeBackend("master");
  readonly replica = new FakeBackend("replica");
  readonly router = new Router(
    this.master as unknown as Backend,
    [this.replica as unknown as Backend],
    this.config,
  );
  readonly routes = new RouteCache();
  readonly history = new ReplicationHistory();
  readonly waits = null as unknown as OffsetWaits;
  readonly drains = null as unknown as DrainController;
  readonly log = pino({ level: "silent" });
  readonly stats = new ProxyStats();
  readonly scripts = new ScriptCache();
  private readonly touched: Session[] = [];
  readonly closedSessions: Session[] = [];
  constructor() {
    this.router.refresh();
  }
  markTouched(s: Session): void {
    this.touched.push(s);
  }
  /** The proxy's flush after a backend read (ProxyServer.flushTouched). */
  afterReplies(): void {
    for (const s of this.touched.splice(0)) {
      s.touchedMark = false;
      s.flushReplies();
    }
  }
  sessionClosed(s: Session): void {
    this.closedSessions.push(s);
  }
}

const cleanup: (() => void)[] = [];
after(() => {
  for (const c of cleanup) c();
});

/** A session on a real loopback socket pair; `written` is what the session has written to its client. */
async function openSession(ctx: FakeContext): Promise<{
  client: Socket;
  received: () => string;
  written: () => string;
  session: Session;
}> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const accepted = new Promise<Socket>((r) => server.once("connection", r));
  const client = createConnection((server.address() as { port: number }).port, "127.0.0.1");
  const sock = await accepted;
  let fromServer = "";
  client.on("data", (d) => {
    fromServer += d.toString("latin1");
  });
  const writes: string[] = [];
  const write = sock.write.bind(sock);
  sock.write = ((chunk: Buffer, ...rest: never[]) => {
    writes.push(Buffer.from(chunk).toString("latin1"));
    return write(chunk, ...rest);
  }) as typeof sock.write;
  const session = new Session(1, sock, ctx, false);
  cleanup.push(() => {
    client.destroy();
    session.close();
    server.close();
  });
  return { client, received: () => fromServer, written: () => writes.join(""), session };
}

const cmd = (...argv: string[]) => encodeCommand(argv).toString("latin1");

describe("Session reply order (fake backends)", () => {
  it("a pipeline of writes, reads and a local command is answered in request order when the replica answers first", async () => {
    const ctx = new FakeContext();
    const { client, received, written } = await openSession(ctx);
    client.write(cmd("SET", "a", "1") + cmd("GET", "a") + cmd("PING") + cmd("GET", "b") + cmd("INCR", "n"));
    const m = ctx.master.conn.sent;
    const r = ctx.replica.conn.sent;
    await waitFor("the session to route the pipeline", () => m.length + r.length === 4);
    assert.deepEqual(
      m.map((s) => s.request),
      [cmd("SET", "a", "1"), cmd("INCR", "n")],
    );
    assert.deepEqual(
      r.map((s) => s.request),
      [cmd("GET", "a"), cmd("GET", "b")],
    );
    assert.equal(written(), "", "PING is answered by the proxy but waits behind the SET");

    // The replica answers both reads first, in one read.
    answer(r[1].slot, "$2\r\nvb\r\n");
    answer(r[0].slot, "$2\r\nva\r\n");
    ctx.afterReplies();
    assert.equal(written(), "", "nothing may overtake the SET's reply");

    // The master answers the INCR, then the SET.
    answer(m[1].slot, ":1\r\n");
    ctx.afterReplies();
    assert.equal(written(), "");
    answer(m[0].slot, "+OK\r\n");
    ctx.afterReplies();
    const all = "+OK\r\n$2\r\nva\r\n+PONG\r\n$2\r\nvb\r\n:1\r\n";
    assert.equal(written(), all);
    await waitFor("the client to receive every reply", () => received() === all);
  });

  it("keeps request order under seeded random pipelines, answer orders and flush points", async () => {
    const seed = 20261203;
    console.log(`session-order seed ${seed}`);
    const rand = seededRandom(seed);
    const ctx = new FakeContext();
    const { client, received, written } = await openSession(ctx);
    let expectedAll = "";
    for (let round = 0; round < 40; round++) {
      const n = 1 + Math.floor(rand() * 12);
      // Each request: its bytes, the backend it must reach (null: answered by the proxy) and its reply.
      const reqs: { bytes: string; to: FakeBackend | null; reply: string }[] = [];
      for (let i = 0; i < n; i++) {
        const k = `k${round}.${i}`;
        // The last request goes to a backend: once the backends have every request, all were parsed.
        const x = i === n - 1 ? rand() * 0.8 : rand();
        if (x < 0.4) reqs.push({ bytes: cmd("GET", k), to: ctx.replica, reply: `$${k.length}\r\n${k}\r\n` });
        else if (x < 0.8)
          reqs.push({ bytes: cmd("SET", k, "v"), to: ctx.master, reply: `:${round * 100 + i}\r\n` });
        else reqs.push({ bytes: cmd("PING"), to: null, reply: "+PONG\r\n" });
      }
      const mFrom = ctx.master.conn.sent.length;
      const rFrom = ctx.replica.conn.sent.length;
      const before = written().length;
      // The pipeline arrives in one write or split at a random place.
      const pipeline = reqs.map((q) => q.bytes).join("");
      const cut = Math.floor(rand() * pipeline.length);
      client.write(pipeline.slice(0, cut));
      client.write(pipeline.slice(cut));
      const toMaster = reqs.filter((q) => q.to === ctx.master);
      const toReplica = reqs.filter((q) => q.to === ctx.replica);
      await waitFor(
        `round ${round}: the session to route ${n} requests`,
        () =>
          ctx.master.conn.sent.length - mFrom === toMaster.length &&
          ctx.replica.conn.sent.length - rFrom === toReplica.length,
      );
      const ms = ctx.master.conn.sent.slice(mFrom);
      const rs = ctx.replica.conn.sent.slice(rFrom);
      assert.deepEqual(
        ms.map((s) => s.request),
        toMaster.map((q) => q.bytes),
      );
      assert.deepEqual(
        rs.map((s) => s.request),
        toReplica.map((q) => q.bytes),
      );
      // The slot of each request that a backend answers, in request order.
      const slots = new Map<number, PendingReply>();
      let mi = 0;
      let ri = 0;
      reqs.forEach((q, i) => {
        if (q.to === ctx.master) slots.set(i, ms[mi++].slot);
        else if (q.to === ctx.replica) slots.set(i, rs[ri++].slot);
      });
      // Answer in a random order, flushing at random points; after each flush the client has exactly the
      // replies up to the first unanswered request.
      const order = [...slots.keys()];
      for (let j = order.length - 1; j > 0; j--) {
        const k = Math.floor(rand() * (j + 1));
        [order[j], order[k]] = [order[k], order[j]];
      }
      const done = new Set<number>();
      const prefix = (): string => {
        let s = "";
        for (let i = 0; i < n; i++) {
          if (reqs[i].to !== null && !done.has(i)) break;
          s += reqs[i].reply;
        }
        return s;
      };
      for (let j = 0; j < order.length; j++) {
        const i = order[j];
        answer(slots.get(i) as PendingReply, reqs[i].reply);
        done.add(i);
        if (rand() < 0.5 || j === order.length - 1) {
          ctx.afterReplies();
          assert.equal(
            written().slice(before),
            prefix(),
            `round ${round} (seed ${seed}) after ${j + 1} answers`,
          );
        }
      }
      expectedAll += reqs.map((q) => q.reply).join("");
      assert.equal(written(), expectedAll, `round ${round} (seed ${seed})`);
    }
    await waitFor("the client to receive every reply", () => received() === expectedAll);
  });
});
