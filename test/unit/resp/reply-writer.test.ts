import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decimalDigits, ReplyWriter } from "../../../src/resp/reply-writer.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * The reply writer's direct encoders (integers, lengths and stream IDs printed as digits into the buffer,
 * byte ranges copied) against the text they must produce, and deferred lengths filled in wherever the
 * marked place ended up: still in the working buffer, or in a chunk already flushed.
 */

function text(w: ReplyWriter): string {
  return Buffer.concat(w.takeChunks()).toString("latin1");
}

describe("ReplyWriter", () => {
  it("prints integers, bulk integers, headers and ID pairs as String() does", () => {
    const seed = 20261203;
    console.log(`reply writer digits, seed ${seed}`);
    const rand = seededRandom(seed);
    const values = [0, 1, 9, 10, 99, 100, 12345678, 99999999, 1e8, 1e8 + 1, 1e15 - 1, 1e15];
    values.push(2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 20000; i++) values.push(Math.floor(rand() * 2 ** (rand() * 53)));
    const w = new ReplyWriter();
    for (const v of values) {
      assert.equal(decimalDigits(v), String(v).length, `digits of ${v}`);
      for (const x of [v, -v]) {
        w.integer(x);
        w.bulkInteger(x);
        const s = String(x);
        assert.equal(text(w), `:${s}\r\n$${s.length}\r\n${s}\r\n`);
      }
      w.arrayHeader(v);
      w.bulkIdPair(v, 7);
      w.bulkIdPair(1700000000000, v);
      const id1 = `${v}-7`;
      const id2 = `1700000000000-${v}`;
      assert.equal(text(w), `*${v}\r\n$${id1.length}\r\n${id1}\r\n$${id2.length}\r\n${id2}\r\n`);
    }
    // Past 2^53 the halves are bigints and go through text; the cached first half must not leak.
    w.bulkIdPair(5, 1);
    w.bulkIdPair(18446744073709551615n, 5);
    w.bulkIdPair(5, 18446744073709551615n);
    w.bulkIdPair(5, 2);
    w.integer(-9223372036854775808n);
    w.bulkInteger(9223372036854775807n);
    assert.equal(
      text(w),
      "$3\r\n5-1\r\n$22\r\n18446744073709551615-5\r\n$22\r\n5-18446744073709551615\r\n$3\r\n5-2\r\n" +
        ":-9223372036854775808\r\n$19\r\n9223372036854775807\r\n",
    );
  });

  it("writes bulk strings and byte ranges of any length, binary-safe", () => {
    const w = new ReplyWriter();
    const src = Buffer.alloc(40000);
    for (let i = 0; i < src.length; i++) src[i] = (i * 7) & 255;
    for (const n of [0, 1, 24, 25, 100, 8192, 8193, 16000, 40000]) {
      const s = src.toString("latin1", 0, n);
      w.bulk(s);
      w.bulkBytes(src, 3, Math.min(n, src.length - 3));
      const m = Math.min(n, src.length - 3);
      assert.equal(text(w), `$${n}\r\n${s}\r\n$${m}\r\n${src.toString("latin1", 3, 3 + m)}\r\n`);
    }
  });

  it("fills deferred lengths in the working buffer and in chunks flushed since", () => {
    const w = new ReplyWriter();
    // Still in the working buffer.
    w.simple("A");
    const t1 = w.deferLength();
    w.bulk("x");
    w.bulk("y");
    w.setDeferredArray(t1, 2);
    assert.equal(text(w), "+A\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n");

    // Nested, the outer one spanning flushes of the working buffer and a large payload of its own.
    const big = "b".repeat(9000);
    const filler = "f".repeat(5000);
    w.simple("B");
    const outer = w.deferLength();
    let want = "";
    for (let i = 0; i < 10; i++) {
      const inner = w.deferLength();
      w.bulk(filler);
      w.integer(i);
      w.setDeferredArray(inner, 2);
      want += `*2\r\n$5000\r\n${filler}\r\n:${i}\r\n`;
    }
    w.bulk(big);
    want += `$9000\r\n${big}\r\n`;
    w.setDeferredArray(outer, 11);
    assert.equal(w.pendingBytes, `+B\r\n*11\r\n${want}`.length);
    assert.equal(text(w), `+B\r\n*11\r\n${want}`);

    // No flush since the mark, but no room left in the working buffer for the header.
    w.simple("C");
    const t4 = w.deferLength();
    const pad = "p".repeat(16384 - 4 - 6);
    w.raw(pad);
    w.setDeferredArray(t4, 1000);
    assert.equal(text(w), `+C\r\n*1000\r\n${pad}`);

    // Marked at the very start, then flushed; a map header in RESP2 and RESP3.
    const t2 = w.deferLength();
    w.bulk(big);
    w.setDeferredMap(t2, 3);
    assert.equal(text(w), `*6\r\n$9000\r\n${big}\r\n`);
    w.proto = 3;
    const t3 = w.deferLength();
    w.bulk("k");
    w.setDeferredMap(t3, 1);
    assert.equal(text(w), "%1\r\n$1\r\nk\r\n");
  });
});
