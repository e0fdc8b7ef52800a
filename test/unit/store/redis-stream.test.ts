import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cloneValue } from "../../../src/store/clone-value.js";
import { Listpack, validateListpack } from "../../../src/store/listpack.js";
import {
  RedisStream,
  type StreamCG,
  StreamConsumer,
  StreamIterator,
} from "../../../src/store/redis-stream.js";
import {
  addDelta,
  compareId,
  decrId,
  formatId,
  incrId,
  parseStreamId,
  parseU64,
  type StreamID,
  subDelta,
  U64_MAX,
} from "../../../src/store/stream-id.js";
import { StreamIdMap } from "../../../src/store/stream-id-map.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * The stream value's parts on their own: 64-bit ID arithmetic and Redis's ID parsing (string2ull), the
 * listpack encoder against its decoder, the ordered PEL map against a sorted array, and the stream's
 * node layout, iteration and deletion against a plain model. The behaviour against redis-server is
 * checked by the interop tests (streams-*.test.ts).
 */

describe("stream IDs", () => {
  it("parse as Redis's string2ull and streamGenericParseIDOrReply", () => {
    assert.equal(parseU64("0"), 0);
    assert.equal(parseU64("-0"), 0);
    assert.equal(parseU64(" 5"), 5);
    assert.equal(parseU64("+5"), 5);
    assert.equal(parseU64("007"), 7);
    assert.equal(parseU64("-1"), null);
    assert.equal(parseU64("-01"), U64_MAX);
    assert.equal(parseU64("18446744073709551615"), U64_MAX);
    assert.equal(parseU64("9007199254740992"), 9007199254740992n);
    assert.equal(parseU64("9007199254740991"), 9007199254740991);
    assert.equal(parseU64("18446744073709551616"), null);
    assert.equal(parseU64(""), null);
    assert.equal(parseU64("1e3"), null);
    assert.equal(parseU64(" "), null);
    assert.deepEqual(parseStreamId("5", 7, false)?.id, { ms: 5, seq: 7 });
    assert.deepEqual(parseStreamId("5-*", 0, true, true), { id: { ms: 5, seq: 0 }, seqGiven: false });
    assert.equal(parseStreamId("5-*", 0, true), null);
    assert.equal(parseStreamId("-", 0, true), null);
    assert.deepEqual(parseStreamId("+", 0, false)?.id, { ms: U64_MAX, seq: U64_MAX });
    assert.deepEqual(parseStreamId("1--0", 0, false)?.id, { ms: 1, seq: 0 });
    assert.equal(parseStreamId("x".repeat(128), 0, false), null);
  });

  it("count, compare and delta-encode over the whole u64 range", () => {
    assert.deepEqual(incrId({ ms: 1, seq: U64_MAX }), { id: { ms: 2, seq: 0 }, wrapped: false });
    assert.deepEqual(incrId({ ms: U64_MAX, seq: U64_MAX }), { id: { ms: 0, seq: 0 }, wrapped: true });
    assert.deepEqual(decrId({ ms: 0, seq: 0 }).wrapped, true);
    assert.deepEqual(decrId({ ms: 9007199254740992n, seq: 0 }).id, { ms: 9007199254740991, seq: U64_MAX });
    assert.equal(compareId({ ms: 9007199254740991, seq: 0 }, { ms: 9007199254740992n, seq: 0 }), -1);
    assert.equal(subDelta(U64_MAX, 0), -1);
    assert.equal(addDelta(U64_MAX, 1), 0);
    assert.equal(addDelta(0, -1), U64_MAX);
    assert.equal(addDelta(5, subDelta(9007199254740993n, 5)), 9007199254740993n);
    assert.equal(formatId({ ms: U64_MAX, seq: 3 }), "18446744073709551615-3");
  });
});

describe("listpack", () => {
  it("stores strings and integers as Redis's lpAppend and reads them back, also backwards", () => {
    const values = [
      "0",
      "127",
      "128",
      "-1",
      "-4096",
      "4095",
      "4096",
      "-32768",
      "32767",
      "8388607",
      "-8388609",
    ];
    values.push("2147483647", "-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808");
    values.push("", "-0", "007", "x".repeat(63), "y".repeat(64), "z".repeat(4095), "w".repeat(4096), "a b");
    const lp = Listpack.create(16);
    for (const v of values) lp.appendString(v);
    assert.ok(validateListpack(lp.bytes()));
    const forward: string[] = [];
    for (let p = lp.first; !lp.isEnd(p); p = lp.next(p)) forward.push(lp.getString(p));
    assert.deepEqual(forward, values);
    const backward: string[] = [];
    for (let p = lp.last(); p >= 6; p = p === lp.first ? -1 : lp.prev(p)) backward.push(lp.getString(p));
    assert.deepEqual(backward, [...values].reverse());
    assert.equal(lp.bytes().readUInt16LE(4), values.length);
  });

  it("replaces an integer in place, growing or shrinking the listpack", () => {
    const lp = Listpack.create(8);
    lp.appendInt(1);
    lp.appendString("after");
    assert.equal(lp.replaceInt(6, 100000), 3); // a 24-bit integer: 4 bytes and a 1-byte backlen
    assert.equal(lp.getInt(6), 100000);
    assert.equal(lp.getString(lp.next(6)), "after");
    assert.equal(lp.replaceInt(6, 3), -3);
    assert.equal(lp.getString(lp.next(6)), "after");
    assert.ok(validateListpack(lp.bytes()));
  });
});

describe("StreamIdMap", () => {
  it("keeps IDs ordered through random inserts and deletes", () => {
    const rnd = seededRandom(42);
    const map = new StreamIdMap<number>();
    const model = new Map<string, number>();
    const key = (id: StreamID) => formatId(id);
    for (let i = 0; i < 5000; i++) {
      const id = { ms: Math.floor(rnd() * 600), seq: Math.floor(rnd() * 3) };
      if (rnd() < 0.6) {
        const fresh = map.insert(id, i);
        assert.equal(fresh, !model.has(key(id)));
        if (fresh) model.set(key(id), i);
      } else {
        assert.equal(map.delete(id), model.get(key(id)));
        model.delete(key(id));
      }
    }
    const sorted = [...model.keys()].sort((a, b) => {
      const [am, as] = a.split("-").map(Number);
      const [bm, bs] = b.split("-").map(Number);
      return am - bm || as - bs;
    });
    assert.deepEqual(
      [...map.entries()].map(([id]) => formatId(id)),
      sorted,
    );
    assert.equal(map.size, sorted.length);
    const mid = { ms: 300, seq: 1 };
    const ceil = map.ceil(mid);
    assert.equal(
      ceil && formatId(ceil[0]),
      sorted.find((k) => compareId(parseStreamId(k, 0, false)!.id, mid) >= 0),
    );
  });
});

describe("RedisStream", () => {
  it("lays out nodes as Redis does and iterates both ways around deletions", () => {
    const s = new RedisStream();
    const live: string[] = [];
    for (let i = 1; i <= 1000; i++) {
      const argv = i % 7 ? ["f", String(i)] : ["f", String(i), "other", "x".repeat(i % 50)];
      const id = s.append(argv, 0, argv.length / 2, { ms: i, seq: 0 }, false, 4096, 100, 0);
      assert.deepEqual(id, { ms: i, seq: 0 });
      live.push(`${i}-0`);
    }
    assert.equal(s.nodes.length, 10);
    for (let i = 1; i <= 1000; i += 3) {
      assert.ok(s.deleteItem({ ms: i, seq: 0 }));
      live.splice(live.indexOf(`${i}-0`), 1);
    }
    assert.equal(s.length, live.length);
    const walk = (rev: boolean, start: StreamID | null = null, end: StreamID | null = null) => {
      const it = new StreamIterator(s, start, end, rev);
      const out: string[] = [];
      while (it.next()) out.push(`${it.ms}-${it.seq}`);
      return out;
    };
    assert.deepEqual(walk(false), live);
    assert.deepEqual(walk(true), [...live].reverse());
    assert.deepEqual(
      walk(false, { ms: 500, seq: 0 }, { ms: 520, seq: 0 }),
      live.filter((x) => {
        const ms = Number(x.split("-")[0]);
        return ms >= 500 && ms <= 520;
      }),
    );
    // A node whose entries are all deleted goes away.
    for (let i = 901; i <= 1000; i++) s.deleteItem({ ms: i, seq: 0 });
    assert.equal(s.nodes.length, 9);
    assert.deepEqual(s.lastValidId(), { ms: 900, seq: 0 });
  });

  it("counts rax nodes for its keys as Redis's radix tree does", () => {
    const s = new RedisStream();
    assert.equal(s.radixTreeNodes(), 1);
    s.append(["f", "v"], 0, 1, { ms: 1, seq: 1 }, true, 4096, 100, 0);
    assert.equal(s.radixTreeNodes(), 2);
  });

  it("clones deeply, groups and PELs included", () => {
    const s = new RedisStream();
    for (let i = 1; i <= 5; i++) s.append(["f", "v"], 0, 1, { ms: i, seq: 0 }, true, 4096, 100, 0);
    const cg = s.createCG("g", { ms: 3, seq: 0 }, 3) as StreamCG;
    const c = new StreamConsumer("c", 1);
    cg.consumers.set("c", c);
    const nack = { deliveryTime: 5, deliveryCount: 2, consumer: c };
    cg.pel.insert({ ms: 2, seq: 0 }, nack);
    c.pel.insert({ ms: 2, seq: 0 }, nack);
    const copy = cloneValue(s) as RedisStream;
    copy.deleteItem({ ms: 1, seq: 0 });
    const ccg = copy.lookupCG("g") as StreamCG;
    ccg.pel.delete({ ms: 2, seq: 0 });
    assert.equal(s.length, 5);
    assert.equal(cg.pel.size, 1);
    assert.equal(copy.length, 4);
    const copied = ccg.consumers.get("c") as StreamConsumer;
    assert.notEqual(copied, c);
    assert.equal(copied.pel.size, 1);
  });
});
