import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { valueBytes } from "../../../src/store/database.js";
import { encodingConfig } from "../../../src/store/encoding-config.js";
import { Keyspace } from "../../../src/store/keyspace.js";
import { MAP_SLOT, stringBytes, tableCapacity } from "../../../src/store/memory-model.js";
import { HASH_HASHTABLE, HASH_LISTPACK } from "../../../src/store/redis-hash.js";
import { SET_HASHTABLE, SET_INTSET } from "../../../src/store/redis-set.js";
import {
  RedisHash,
  RedisList,
  RedisSet,
  type RedisValue,
  RedisZSet,
} from "../../../src/store/redis-value.js";
import { ZSET_LISTPACK, ZSET_SKIPLIST } from "../../../src/store/redis-zset.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * The running size estimates (store/memory-model.ts) never drift from what the model says for the value as
 * it is now, whatever sequence of changes led there — so used_memory, and with it eviction, stays right
 * over millions of writes — and the encodings values track follow Redis's conversion rules.
 */

/** The estimate of a value computed from scratch (for containers whose size depends only on content). */
function fresh(v: RedisValue): number {
  if (typeof v === "string") return stringBytes(v.length);
  if (v instanceof RedisHash || v instanceof RedisSet) return v.clone().bytes;
  if (v instanceof RedisList) {
    // The ring buffer never shrinks: its capacity is part of its history, read it back.
    const cap = (v as unknown as { items: unknown[] }).items.length;
    let n = new RedisList(cap).bytes;
    for (const e of v) n += stringBytes(e.length);
    return n;
  }
  // Skiplist levels are random: sum what the model says for each node as it is.
  const z = v as RedisZSet;
  let n = new RedisZSet().bytes + tableCapacity(z.size) * MAP_SLOT * (z.size > 0 ? 1 : 0);
  for (let x = z.first; x !== null; x = x.next) {
    const level = x.level;
    n += 24 + 72 + 16 + (level > 2 ? 48 + (level - 2) * 16 : 0) + stringBytes(x.member.length);
  }
  return n;
}

describe("memory accounting", () => {
  it("keeps each container's estimate equal to its fresh computation through random changes", () => {
    const rand = seededRandom(7);
    const word = () => "w".repeat(Math.floor(rand() * 30)) + String(Math.floor(rand() * 50));
    const h = new RedisHash();
    const s = new RedisSet();
    const l = new RedisList();
    const z = new RedisZSet();
    for (let i = 0; i < 20000; i++) {
      const k = rand();
      if (k < 0.3) h.set(word(), word());
      else if (k < 0.4) h.delete(word());
      else if (k < 0.6) s.add(word());
      else if (k < 0.65) s.delete(word());
      else if (k < 0.75) rand() < 0.5 ? l.pushBack(word()) : l.pushFront(word());
      else if (k < 0.8) rand() < 0.5 ? l.popBack() : l.popFront();
      else if (k < 0.82 && l.length > 0) l.set(Math.floor(rand() * l.length), word());
      else if (k < 0.95) z.add(word(), Math.floor(rand() * 100));
      else z.delete(word());
      if (i % 1000 === 0 || i === 19999) {
        for (const v of [h, s, l, z]) assert.equal(v.bytes, fresh(v), `${v.constructor.name} after ${i}`);
      }
    }
    for (const v of [h, s, z]) {
      v.clear();
      assert.equal(v.bytes, fresh(v));
    }
  });

  it("keeps each database's total equal to the sum over its keys through sets, deletes, moves and flushes", () => {
    const ks = new Keyspace(4);
    const rand = seededRandom(11);
    const key = () => `k${Math.floor(rand() * 200)}`;
    const total = (i: number) => {
      const db = ks.dbs[i];
      let n = 0;
      for (const [k, v] of db.dict) n += stringBytes(k.length) + valueBytes(v);
      return n;
    };
    for (let i = 0; i < 20000; i++) {
      const db = ks.dbs[Math.floor(rand() * 2)];
      const k = key();
      const roll = rand();
      const v = db.lookupKeyWrite(k);
      if (roll < 0.3) db.setKey(k, "x".repeat(Math.floor(rand() * 40)));
      else if (roll < 0.45) {
        // grow or create a container in place, as commands do after lookupKeyWrite
        if (v instanceof RedisHash) v.set(key(), key());
        else if (v === undefined) {
          const h = new RedisHash();
          db.setKey(k, h);
          h.set("f", "v");
        }
      } else if (roll < 0.55) {
        if (v instanceof RedisList) v.pushBack(key());
        else if (v === undefined) db.setKey(k, RedisList.from([key()]));
      } else if (roll < 0.7) db.delete(k);
      else if (roll < 0.8 && v !== undefined) {
        // RENAME: delete the source, store the same value under the new name
        const to = key();
        db.delete(to);
        db.delete(k);
        db.setKey(to, v);
      } else if (roll < 0.85 && v !== undefined) {
        // MOVE to the other db
        const other = ks.dbs[db.id === 0 ? 1 : 0];
        if (other.lookupKeyWrite(k) === undefined) {
          db.delete(k);
          other.setKey(k, v);
        }
      } else if (roll < 0.86) db.flush();
      else if (roll < 0.87) ks.dbs[0].swapWith(ks.dbs[1]);
      else if (v instanceof RedisHash) v.delete(key());
      if (i % 500 === 0)
        for (const d of [0, 1]) assert.equal(ks.dbs[d].acct.bytes, total(d), `db${d} after ${i}`);
    }
  });

  it("tracks encodings as Redis converts them, one way only", () => {
    const cfg = encodingConfig;
    const saved = { ...cfg };
    try {
      cfg.hashMaxListpackEntries = 2;
      cfg.hashMaxListpackValue = 4;
      const h = new RedisHash();
      h.set("a", "1");
      h.set("b", "2");
      assert.equal(h.enc, HASH_LISTPACK);
      h.set("c", "3");
      assert.equal(h.enc, HASH_HASHTABLE);
      h.delete("c");
      assert.equal(h.enc, HASH_HASHTABLE, "never back");
      const h2 = RedisHash.from([["long-field", "1"]]);
      assert.equal(h2.enc, HASH_HASHTABLE);

      cfg.setMaxIntsetEntries = 3;
      const s = RedisSet.from(["1", "2", "3"]);
      assert.equal(s.enc, SET_INTSET);
      assert.equal(s.intsetWidth, 2);
      s.add("70000");
      assert.equal(s.enc, SET_HASHTABLE);
      const w = RedisSet.from(["1", "5000000000"]);
      w.delete("5000000000");
      assert.equal(w.intsetWidth, 8, "an intset keeps its width");
      assert.equal(RedisSet.from(["01"]).enc, SET_HASHTABLE);
      s.delete("70000");
      s.resetEncoding();
      assert.equal(s.enc, SET_INTSET, "rebuilt from content");

      cfg.zsetMaxListpackEntries = 1;
      cfg.zsetMaxListpackValue = 3;
      const z = new RedisZSet();
      z.add("abc", 1);
      assert.equal(z.enc, ZSET_LISTPACK);
      z.add("abc", 2);
      assert.equal(z.enc, ZSET_LISTPACK, "a score update is no insert");
      z.add("d", 1);
      assert.equal(z.enc, ZSET_SKIPLIST);
      assert.equal(z.clone().enc, ZSET_SKIPLIST, "a copy keeps its encoding");
    } finally {
      Object.assign(cfg, saved);
    }
  });
});
