import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AofError, parseAofCommands, parseManifest } from "../../../src/persistence/aof.js";
import { Crc64, crc64 } from "../../../src/persistence/crc64.js";
import { lzfCompress, lzfDecompress } from "../../../src/persistence/lzf.js";
import { RdbError } from "../../../src/persistence/rdb-format.js";
import { loadRdb, loadRdbSync } from "../../../src/persistence/rdb-loader.js";
import { saveRdbSync, snapshotRdb } from "../../../src/persistence/rdb-snapshot.js";
import { Keyspace } from "../../../src/store/keyspace.js";
import { RedisHash, RedisList } from "../../../src/store/redis-value.js";
import { seededRandom } from "../../helpers/differential.js";
import { dumpKeyspace, populateAllTypes } from "../../helpers/keyspace-fixtures.js";

describe("crc64 (Jones, as Redis's crc64.c)", () => {
  it("has Redis's check value for 123456789", () => {
    assert.equal(crc64(Buffer.from("123456789")), 0xe9c6d914c4b8d9can);
  });

  it("eight bytes at a time equals the bitwise definition, at every length and split", () => {
    const rand = seededRandom(7);
    const data = Buffer.from(Array.from({ length: 300 }, () => Math.floor(rand() * 256)));
    // The reflected Jones CRC one bit at a time, straight from its definition.
    const reference = (b: Uint8Array): bigint => {
      let crc = 0n;
      for (const byte of b) {
        crc ^= BigInt(byte);
        for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
      }
      return crc;
    };
    for (let len = 0; len <= 40; len++)
      assert.equal(crc64(data.subarray(0, len)), reference(data.subarray(0, len)));
    const whole = reference(data);
    for (let cut = 0; cut <= data.length; cut += 13) {
      const c = new Crc64().update(data, 0, cut).update(data, cut, data.length);
      assert.equal(c.value, whole, `split at ${cut}`);
    }
  });
});

describe("lzf", () => {
  it("round-trips compressible and random data, and refuses to grow incompressible input", () => {
    const rand = seededRandom(1);
    // (At 21 bytes this text does not fit in 17 compressed bytes: Redis stores it raw, and so do we.)
    for (const n of [50, 300, 9000, 70000]) {
      const text = Buffer.from("abcabcabc hello hello ".repeat(Math.ceil(n / 22)).slice(0, n));
      const out = Buffer.alloc(n);
      const clen = lzfCompress(text, out, n - 4);
      assert.ok(clen > 0 && clen < n - 4, `compressible ${n}`);
      assert.deepEqual(lzfDecompress(out.subarray(0, clen), n), text);
      const noise = Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
      assert.equal(lzfCompress(noise, out, n - 4), 0);
    }
  });

  it("rejects corrupt input instead of reading out of range", () => {
    assert.throws(() => lzfDecompress(Buffer.from([0xe0, 0xff, 0xff]), 10));
  });
});

describe("RDB writer and loader", () => {
  it("round-trips every type and encoding with expiry", async () => {
    const a = new Keyspace(16);
    populateAllTypes(a);
    for (const compression of [true, false]) {
      const bytes = Buffer.concat(saveRdbSync(a, { compression }));
      const b = new Keyspace(16);
      const r = await loadRdb(bytes, b);
      assert.equal(r.keys, a.keyCount);
      assert.equal(r.aux.get("redis-ver"), "7.0.15");
      assert.deepEqual(dumpKeyspace(b), dumpKeyspace(a));
    }
  });

  it("loads the same bytes streamed in chunks of any size", async () => {
    const a = new Keyspace(16);
    populateAllTypes(a);
    const bytes = Buffer.concat(saveRdbSync(a));
    for (const size of [1, 7, 4096]) {
      const b = new Keyspace(16);
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      await loadRdb(chunks(), b);
      assert.deepEqual(dumpKeyspace(b), dumpKeyspace(a));
    }
  });

  it("writes the repl aux fields when given", () => {
    const a = new Keyspace(16);
    const bytes = Buffer.concat(
      saveRdbSync(a, { replId: "f".repeat(40), replOffset: 1234, replStreamDb: 2 }),
    );
    const r = loadRdbSync(bytes, new Keyspace(16));
    assert.equal(r.aux.get("repl-id"), "f".repeat(40));
    assert.equal(r.aux.get("repl-offset"), "1234");
    assert.equal(r.aux.get("repl-stream-db"), "2");
  });

  it("rejects a truncated file and a flipped byte (checksum) with a clear error", () => {
    const a = new Keyspace(16);
    populateAllTypes(a);
    const bytes = Buffer.concat(saveRdbSync(a));
    const code = (code: string) => (err: unknown) => err instanceof RdbError && err.code === code;
    assert.throws(
      () => loadRdbSync(bytes.subarray(0, bytes.length - 100), new Keyspace(16)),
      code("TANDEM_RDB_TRUNCATED"),
    );
    const badSum = Buffer.from(bytes);
    badSum[badSum.length - 1] ^= 0x55; // the CRC64 trailer itself
    assert.throws(() => loadRdbSync(badSum, new Keyspace(16)), code("TANDEM_RDB_CHECKSUM"));
    const bad = Buffer.from(bytes);
    bad[bad.length - 20] ^= 0x55;
    assert.throws(() => loadRdbSync(bad, new Keyspace(16)), RdbError);
    assert.throws(
      () => loadRdbSync(Buffer.from("NOTREDIS0010"), new Keyspace(16)),
      code("TANDEM_RDB_BAD_HEADER"),
    );
    assert.throws(
      () => loadRdbSync(Buffer.from("REDIS0099"), new Keyspace(16)),
      code("TANDEM_RDB_BAD_HEADER"),
    );
  });

  it("skips keys whose TTL passed when loading on a master", () => {
    const a = new Keyspace(16);
    a.dbs[0].setKey("gone", "x");
    a.dbs[0].setExpire("gone", Date.now() - 1000);
    a.dbs[0].setKey("kept", "y");
    const b = new Keyspace(16);
    const r = loadRdbSync(Buffer.concat(saveRdbSync(a)), b);
    assert.equal(r.keys, 1);
    assert.equal(b.dbs[0].dict.has("gone"), false);
  });
});

describe("AOF errors carry codes", () => {
  it("bad manifest lines and bad command streams", () => {
    const code = (code: string) => (err: unknown) => err instanceof AofError && err.code === code;
    assert.throws(() => parseManifest("file\n"), code("TANDEM_AOF_BAD_MANIFEST"));
    assert.throws(
      () => parseManifest("file a.1.base.rdb seq 1 type b\nfile a.2.base.rdb seq 2 type b\n"),
      code("TANDEM_AOF_BAD_MANIFEST"),
    );
    assert.throws(
      () => parseAofCommands(Buffer.from("*1\r\nX3\r\nSET\r\n"), () => {}),
      code("TANDEM_AOF_BAD_FORMAT"),
    );
  });
});

describe("point-in-time snapshot (snapshotRdb)", () => {
  it("keeps the view of the instant it started while keys change, are deleted, created, flushed and swapped", async () => {
    const ks = new Keyspace(16);
    for (let i = 0; i < 20000; i++) ks.dbs[i % 3].setKey(`k${i}`, `v${i}`);
    ks.dbs[0].setKey("list", RedisList.from(["a", "b"]));
    ks.dbs[1].setKey("hash", RedisHash.from([["f", "1"]]));
    const before = dumpKeyspace(ks);
    const gen = snapshotRdb(ks, { sliceMs: 0.01 });
    const chunks: Buffer[] = [];
    let step = 0;
    const rand = seededRandom(42);
    for await (const ch of gen) {
      chunks.push(ch);
      // Mutate between slices, as clients would.
      for (let j = 0; j < 50; j++) {
        const i = Math.floor(rand() * 20000);
        const db = ks.dbs[i % 3];
        const r = rand();
        if (r < 0.3) db.setKey(`k${i}`, `changed${step}`);
        else if (r < 0.5) db.delete(`k${i}`);
        else if (r < 0.7) db.setKey(`new${step}-${j}`, "created later");
        else if (r < 0.8) db.setExpire(`k${i}`, Date.now() + 5000);
        else if (r < 0.9) (ks.dbs[0].lookupKeyWrite("list") as RedisList | undefined)?.pushBack(`x${step}`);
        else (ks.dbs[1].lookupKeyWrite("hash") as Map<string, string> | undefined)?.set(`f${step}`, "2");
      }
      if (step === 3) ks.dbs[2].flush();
      if (step === 5) {
        ks.dbs[0].swapWith(ks.dbs[1]);
      }
      step++;
    }
    assert.ok(step > 5, `the snapshot ran in several slices (${step})`);
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });

  it("emits a key once when it is deleted and re-created after the walk passed it", async () => {
    const ks = new Keyspace(16);
    for (let i = 0; i < 5000; i++) ks.dbs[0].setKey(`k${i}`, "old");
    const before = dumpKeyspace(ks);
    const it = snapshotRdb(ks, { sliceMs: 0.01 })[Symbol.asyncIterator]();
    const chunks: Buffer[] = [(await it.next()).value as Buffer];
    // k0 is certainly walked by now; move it to the end of the Map's iteration order.
    ks.dbs[0].delete("k0");
    ks.dbs[0].setKey("k0", "new");
    for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(r.value);
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });

  it("settles pre-images taken inside the db being walked: emitted once whether the walk had passed the key or not", async () => {
    const ks = new Keyspace(16);
    for (let i = 0; i < 20000; i++) ks.dbs[0].setKey(`k${i}`, `old${i}`);
    ks.dbs[0].setExpire("k19999", Date.now() + 60_000);
    const before = dumpKeyspace(ks);
    const it = snapshotRdb(ks, { sliceMs: 0.01 })[Symbol.asyncIterator]();
    const chunks: Buffer[] = [(await it.next()).value as Buffer];
    // Inside db 0's walk: k0 is behind it, k19999 (the last key) ahead of it.
    ks.dbs[0].setKey("k0", "changed");
    ks.dbs[0].delete("k19999");
    ks.dbs[0].setKey("k19999", "re-created");
    ks.dbs[0].delete("k1");
    ks.dbs[0].setKey("late", "created after the start");
    for (let r = await it.next(); !r.done; r = await it.next()) {
      chunks.push(r.value);
      ks.dbs[0].delete(`k${10000 + chunks.length}`);
    }
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });

  it("keeps its instant under a write load that touches most keys while the walk runs (rounds mid-walk)", async () => {
    const ks = new Keyspace(16);
    for (let i = 0; i < 30000; i++) ks.dbs[0].setKey(`k${i}`, `v${i}`);
    const before = dumpKeyspace(ks);
    const rand = seededRandom(7);
    const it = snapshotRdb(ks, { sliceMs: 0.05 })[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let slices = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      chunks.push(r.value);
      // More writes per slice than a round needs to start (an eighth of what was walked, at least 1024).
      for (let j = 0; j < 3000; j++) ks.dbs[0].setKey(`k${Math.floor(rand() * 30000)}`, `w${slices}`);
      slices++;
    }
    assert.ok(slices > 3, `the snapshot ran in several slices (${slices})`);
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });

  it("keeps keys and values paired when the Map shrinks and grows (rehashes) between slices", async () => {
    // The walk reads keys and values with two iterators in lockstep; mass deletes and inserts in the middle
    // of it make V8 rebuild the table, and every value must still land with its own key.
    const ks = new Keyspace(16);
    for (let i = 0; i < 20000; i++) ks.dbs[0].setKey(`k${i}`, `v${i}`);
    const before = dumpKeyspace(ks);
    const it = snapshotRdb(ks, { sliceMs: 0.01 })[Symbol.asyncIterator]();
    const chunks: Buffer[] = [(await it.next()).value as Buffer];
    let round = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      chunks.push(r.value);
      if (round === 0) for (let i = 0; i < 20000; i += 4) ks.dbs[0].delete(`k${i}`);
      if (round === 1) for (let i = 0; i < 30000; i++) ks.dbs[0].setKey(`n${i}`, `w${i}`);
      if (round === 2) for (let i = 1; i < 20000; i += 4) ks.dbs[0].delete(`k${i}`);
      round++;
    }
    assert.ok(round > 3, `the snapshot ran in several slices (${round})`);
    const loaded = new Keyspace(16);
    await loadRdb(Buffer.concat(chunks), loaded);
    assert.deepEqual(dumpKeyspace(loaded), before);
  });

  it("several snapshots at once each keep their own instant", async () => {
    const ks = new Keyspace(16);
    for (let i = 0; i < 3000; i++) ks.dbs[0].setKey(`k${i}`, "a");
    const first = dumpKeyspace(ks);
    const g1 = snapshotRdb(ks, { sliceMs: 0.01 });
    const c1: Buffer[] = [];
    const it1 = g1[Symbol.asyncIterator]();
    c1.push((await it1.next()).value as Buffer);
    for (let i = 0; i < 3000; i += 2) ks.dbs[0].setKey(`k${i}`, "b");
    const second = dumpKeyspace(ks);
    const c2: Buffer[] = [];
    const g2 = snapshotRdb(ks, { sliceMs: 0.01 });
    for (let i = 1; i < 3000; i += 2) ks.dbs[0].setKey(`k${i}`, "c");
    for await (const ch of g2) c2.push(ch);
    for (let r = await it1.next(); !r.done; r = await it1.next()) c1.push(r.value);
    const l1 = new Keyspace(16);
    await loadRdb(Buffer.concat(c1), l1);
    const l2 = new Keyspace(16);
    await loadRdb(Buffer.concat(c2), l2);
    assert.deepEqual(dumpKeyspace(l1), first);
    assert.deepEqual(dumpKeyspace(l2), second);
    assert.equal(ks.writeHook, null, "hooks are detached when the snapshots end");
  });
});
