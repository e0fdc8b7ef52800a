import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import type { Backend } from "../../../src/proxy/backend.js";
import {
  formatToken,
  NOT_COMPARABLE,
  parseToken,
  ReplicationHistory,
} from "../../../src/proxy/consistency.js";
import { parseOffsetReply } from "../../../src/proxy/offset-probe.js";
import { OffsetWaits, type WaitOutcome } from "../../../src/proxy/offset-waits.js";
import { type PendingReply, SlotState } from "../../../src/proxy/pending-reply.js";
import { ReplyQueue } from "../../../src/proxy/reply-queue.js";
import type { Router } from "../../../src/proxy/router.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

describe("causal tokens", () => {
  it("parse and format <replid>:<offset>", () => {
    assert.deepEqual(parseToken(`${A}:123`), { replid: A, offset: 123 });
    assert.equal(formatToken({ replid: A, offset: 0 }), `${A}:0`);
    for (const bad of [
      "",
      "x",
      `${A}`,
      `${A}:`,
      `${A}:-1`,
      `${A}:1.5`,
      `${A}:12x`,
      `${"g".repeat(40)}:1`,
      `${A}0:1`,
      `${A}:99999999999999999`,
    ])
      assert.equal(parseToken(bad), null, bad);
  });
});

describe("ReplicationHistory.requiredOffset", () => {
  it("compares a token of the current history by offset", () => {
    const h = new ReplicationHistory();
    assert.equal(h.requiredOffset(A, 5), NOT_COMPARABLE, "nothing known yet: not comparable");
    h.observe(A, "0".repeat(40), -1);
    assert.equal(h.requiredOffset(A, 5), 5);
  });

  it("a promoted master's replid2 history compares up to second_repl_offset", () => {
    const h = new ReplicationHistory();
    h.observe(B, A, 101); // B continues A's history from offset 101
    assert.equal(h.requiredOffset(A, 50), 50);
    assert.equal(h.requiredOffset(A, 500), 100, "bytes past the fork were lost: as far as the fork");
  });

  it("a token of a history the master left is met by any replica of the current one; an unknown one never", () => {
    const h = new ReplicationHistory();
    h.observe(A, "", -1);
    h.observe(B, "", -1); // e.g. a restart without persistence: no replid2 link
    assert.equal(h.requiredOffset(A, 1_000_000), 0);
    assert.equal(h.requiredOffset(C, 1), NOT_COMPARABLE);
  });

  it("forget(): only the last history seen compares until the next poll, and coming back on it is no change", () => {
    const h = new ReplicationHistory();
    h.observe(A, "", -1);
    h.observe(B, A, 10);
    h.forget();
    assert.equal(h.replid, "", "new probes get no replid");
    assert.equal(h.serving, B, "replicas are still judged against the last history seen");
    assert.equal(h.requiredOffset(B, 5), 5);
    assert.equal(h.requiredOffset(A, 5), NOT_COMPARABLE, "continued or past histories wait for the master");
    assert.equal(h.requiredOffset(C, 5), NOT_COMPARABLE);
    h.observe(A, "", -1);
    assert.equal(h.replid, A);
    h.forget();
    assert.equal(h.requiredOffset(A, 5), 5);
    assert.equal(h.observe(A, "", -1), false);
    assert.equal(h.requiredOffset(A, 5), 5);
    h.forget();
    assert.equal(h.observe(B, "", -1), true, "back on another history");
    assert.equal(h.requiredOffset(A, 5), 0, "the old one is past");
  });
});

describe("offset probe replies", () => {
  const off = (s: string) => parseOffsetReply(Buffer.from(s), 0, s.length);
  it("reads WAITOFFSET's integer and a master's ROLE (RESP2 and RESP3), and nothing else", () => {
    assert.equal(off(":12345\r\n"), 12345);
    assert.equal(off("*3\r\n$6\r\nmaster\r\n:987\r\n*0\r\n"), 987);
    assert.equal(
      off("*3\r\n$6\r\nmaster\r\n:0\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n$1\r\n0\r\n"),
      0,
    );
    assert.equal(off("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:10\r\n"), -1);
    assert.equal(off("-ERR unknown command 'WAITOFFSET'\r\n"), -1);
    assert.equal(off(":\r\n"), -1);
  });
});

describe("ReplyQueue", () => {
  /** A socket that records writes. */
  function fakeSocket(): { socket: Socket; written: string[] } {
    const written: string[] = [];
    const socket = {
      cork() {},
      uncork() {},
      write(b: Buffer) {
        written.push(b.toString("latin1"));
        return true;
      },
    } as unknown as Socket;
    return { socket, written };
  }
  const owner = { replyReady() {}, redispatch: () => false };

  it("writes replies strictly in request order, merging contiguous ranges of one buffer", () => {
    const q = new ReplyQueue(owner);
    const { socket, written } = fakeSocket();
    const a = q.push();
    const b = q.push();
    const c = q.push();
    const shared = Buffer.from("+A\r\n+B\r\n");
    b.fill(shared, 4, 8);
    assert.equal(q.headReady, false);
    q.flushTo(socket);
    assert.deepEqual(written, [], "nothing before the first reply is ready");
    a.fill(shared, 0, 4);
    c.state = SlotState.HELD;
    c.buf = Buffer.from("+C\r\n");
    c.end = 4;
    q.flushTo(socket);
    assert.deepEqual(written, ["+A\r\n+B\r\n"], "A and B in one write; C is held");
    assert.equal(q.size, 1);
    c.state = SlotState.READY;
    q.flushTo(socket);
    assert.deepEqual(written, ["+A\r\n+B\r\n", "+C\r\n"]);
    assert.equal(q.size, 0);
  });

  it("stops after a reply that closes the connection", () => {
    const q = new ReplyQueue(owner);
    const { socket, written } = fakeSocket();
    q.pushConstant(Buffer.from("+OK\r\n")).closeAfter = true;
    q.pushConstant(Buffer.from("+NEVER\r\n"));
    assert.equal(q.flushTo(socket), true);
    assert.deepEqual(written, ["+OK\r\n"]);
  });

  it("cancelAll marks the slots still to be answered as cancelled", () => {
    const q = new ReplyQueue(owner);
    const s: PendingReply = q.push();
    q.cancelAll();
    assert.equal(s.state, SlotState.CANCELLED);
    assert.equal(q.size, 0);
  });
});

describe("OffsetWaits", () => {
  function setup() {
    const history = new ReplicationHistory();
    history.observe(A, "", -1);
    const mk = (offset: number, replid = A) =>
      ({ health: { offset, replid, lastOkAt: 1 }, eligible: true }) as unknown as Backend;
    const replicas = [mk(10), mk(20)];
    const router = {
      replicas,
      eligible: replicas,
      someReplicaAt: (o: number) => replicas.some((r) => r.health.offset >= o),
    } as unknown as Router;
    return { waits: new OffsetWaits(router, history), replicas };
  }

  it("a read's wait settles at once when a replica has the offset, later when one reaches it", () => {
    const { waits, replicas } = setup();
    const outcomes: WaitOutcome[] = [];
    waits.forRead(15, 1000, (o) => outcomes.push(o));
    assert.deepEqual(outcomes, ["reached"]);
    const w = waits.forRead(25, 1000, (o) => outcomes.push(o));
    assert.equal(waits.waiting, 1);
    waits.check();
    assert.deepEqual(outcomes, ["reached"]);
    replicas[0].health.offset = 30;
    waits.check();
    assert.deepEqual(outcomes, ["reached", "reached"]);
    assert.equal(w.done, true);
    assert.equal(waits.waiting, 0);
  });

  it("durability counts replicas on the master's history only, and times out", async () => {
    const { waits, replicas } = setup();
    assert.equal(waits.replicasAt(10), 2);
    (replicas[1].health as { replid: string }).replid = B;
    assert.equal(waits.replicasAt(10), 1, "a replica of another history does not count");
    const outcome = await new Promise<WaitOutcome>((resolve) => waits.forReplicas(10, 2, 20, resolve));
    assert.equal(outcome, "timeout");
    assert.equal(waits.waiting, 0);
  });
});
