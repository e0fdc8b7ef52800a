import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { type PendingReply, type ReplyOwner, SlotState } from "../../../src/proxy/pending-reply.js";
import { ReplyQueue } from "../../../src/proxy/reply-queue.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * The session's reply order with a fake socket: replies filled in any order by any number of backends are
 * written strictly in request order, adjacent ranges of one backend buffer merged into one write, and
 * nothing after a close-after reply.
 */

class FakeSocket {
  readonly writes: Buffer[] = [];
  corks = 0;
  uncorks = 0;
  write(b: Buffer): boolean {
    this.writes.push(Buffer.from(b));
    return true;
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
  get text(): string {
    return Buffer.concat(this.writes).toString("latin1");
  }
}

const owner: ReplyOwner = { replyReady: () => {}, redispatch: () => false };
const asSocket = (f: FakeSocket) => f as unknown as Socket;

describe("ReplyQueue", () => {
  it("writes nothing until the head is filled, then every ready reply in request order", () => {
    const q = new ReplyQueue(owner);
    const s = new FakeSocket();
    const a = q.push();
    const b = q.push();
    const c = q.push();
    c.fillConstant(Buffer.from("+c\r\n"));
    b.fillConstant(Buffer.from("+b\r\n"));
    assert.equal(q.headReady, false);
    q.flushTo(asSocket(s));
    assert.equal(s.text, "");
    a.fillConstant(Buffer.from("+a\r\n"));
    q.flushTo(asSocket(s));
    assert.equal(s.text, "+a\r\n+b\r\n+c\r\n");
    assert.equal(q.size, 0);
    assert.equal(s.corks, s.uncorks);
  });

  it("merges adjacent ranges of one backend buffer into one write", () => {
    const q = new ReplyQueue(owner);
    const s = new FakeSocket();
    const backendRead = Buffer.from("+1\r\n+2\r\n+3\r\n");
    const slots = [q.push(), q.push(), q.push()];
    slots[0].fill(backendRead, 0, 4);
    slots[1].fill(backendRead, 4, 8);
    slots[2].fill(backendRead, 8, 12);
    q.flushTo(asSocket(s));
    assert.equal(s.writes.length, 1);
    assert.equal(s.text, "+1\r\n+2\r\n+3\r\n");
  });

  it("stops after a close-after reply (QUIT) and says so", () => {
    const q = new ReplyQueue(owner);
    const s = new FakeSocket();
    const quit = q.push();
    const later = q.push();
    quit.fillConstant(Buffer.from("+OK\r\n"));
    quit.closeAfter = true;
    later.fillConstant(Buffer.from("+never\r\n"));
    assert.equal(q.flushTo(asSocket(s)), true);
    assert.equal(s.text, "+OK\r\n");
  });

  it("keeps request order under a seeded random mix of fill orders, backends and flushes", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rng = seededRandom(seed);
      const q = new ReplyQueue(owner);
      const s = new FakeSocket();
      const backends = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)].map(() => ({
        buf: Buffer.alloc(4096),
        used: 0,
      }));
      const pending: { slot: PendingReply; n: number }[] = [];
      let expected = "";
      let n = 0;
      for (let step = 0; step < 400; step++) {
        const r = rng();
        if (r < 0.4) {
          pending.push({ slot: q.push(), n });
          expected += `:${n}\r\n`;
          n++;
        } else if (r < 0.85 && pending.length > 0) {
          // A backend answers one of the outstanding requests (not necessarily the oldest).
          const i = Math.floor(rng() * pending.length);
          const { slot, n: k } = pending.splice(i, 1)[0];
          const b = backends[Math.floor(rng() * backends.length)];
          const bytes = Buffer.from(`:${k}\r\n`);
          if (b.used + bytes.length > b.buf.length) {
            b.buf = Buffer.alloc(4096);
            b.used = 0;
          }
          bytes.copy(b.buf, b.used);
          slot.fill(b.buf, b.used, b.used + bytes.length);
          b.used += bytes.length;
        } else {
          q.flushTo(asSocket(s));
        }
      }
      for (const { slot, n: k } of pending) slot.fillConstant(Buffer.from(`:${k}\r\n`));
      q.flushTo(asSocket(s));
      assert.equal(s.text, expected, `seed ${seed}`);
      assert.equal(q.size, 0);
    }
  });

  it("cancelAll marks outstanding slots so late replies are dropped", () => {
    const q = new ReplyQueue(owner);
    const a = q.push();
    q.cancelAll();
    assert.equal(a.state, SlotState.CANCELLED);
    assert.equal(q.size, 0);
  });
});
