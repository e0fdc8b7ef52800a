import type { Keyspace } from "../../src/store/keyspace.js";
import {
  MutableString,
  RedisHash,
  RedisList,
  RedisSet,
  type RedisValue,
  RedisZSet,
} from "../../src/store/redis-value.js";
import { seededRandom } from "./differential.js";

/**
 * Keyspace fixtures for persistence tests: a dataset with every type in both its compact and its large
 * encodings, and a canonical dump of a keyspace for equality checks.
 */

/** A canonical, order-independent dump of a keyspace for equality checks. */
export function dumpKeyspace(ks: Keyspace): string[] {
  const out: string[] = [];
  for (const db of ks.dbs) {
    for (const [k, v] of db.dict) {
      const value = v instanceof MutableString ? v.toString() : v;
      out.push(`${db.id}|${JSON.stringify(k)}|${describeValue(value)}|${db.expires.get(k) ?? ""}`);
    }
  }
  return out.sort();
}

function describeValue(v: RedisValue): string {
  if (typeof v === "string") return `s:${JSON.stringify(v)}`;
  if (v instanceof Map) return `h:${JSON.stringify([...v].sort())}`;
  if (v instanceof Set) return `set:${JSON.stringify([...v].sort())}`;
  if (v instanceof RedisList) return `l:${JSON.stringify(v.toArray())}`;
  return `z:${JSON.stringify([...(v as RedisZSet).entries()].map(([m, s]) => [m, Object.is(s, -0) ? "-0" : String(s)]))}`;
}

function bin(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
  return s;
}

/** Every type in its small and large encodings, binary data, integers of every width, TTLs. */
export function populateAllTypes(ks: Keyspace, seed = 7): void {
  const rand = seededRandom(seed);
  const db0 = ks.dbs[0];
  const db3 = ks.dbs[3];
  const strings = [
    "",
    "0",
    "-1",
    "127",
    "-128",
    "32767",
    "-32768",
    "2147483647",
    "-2147483648",
    "2147483648",
    "9223372036854775807",
    "-9223372036854775808",
    "007",
    "+5",
    "-0",
    "1.5",
    "hello",
    "x".repeat(21),
    "abc".repeat(100),
    bin(rand, 5000),
  ];
  for (let i = 0; i < strings.length; i++) db0.setKey(`str:${i}`, strings[i]);
  db0.setKey("list:small", RedisList.from(["a", "1", "-4000", "70000", "9999999999", "x".repeat(100)]));
  const big: string[] = [];
  for (let i = 0; i < 5000; i++) big.push(i % 3 === 0 ? String(i * 7919) : bin(rand, 1 + (i % 40)));
  db0.setKey("list:big", RedisList.from(big));
  db0.setKey("list:huge-element", RedisList.from(["y".repeat(20000), "z"]));
  db0.setKey(
    "hash:small",
    RedisHash.from([
      ["f1", "v1"],
      ["n", "12345"],
      ["e", ""],
    ]),
  );
  const hb = new RedisHash();
  for (let i = 0; i < 300; i++) hb.set(`field${i}`, bin(rand, 10));
  db0.setKey("hash:big", hb);
  db0.setKey("hash:longval", RedisHash.from([["f", "v".repeat(100)]]));
  db0.setKey("set:ints", RedisSet.from(["1", "-5", "100000", "4294967296"]));
  db0.setKey("set:strs", RedisSet.from(["a", "b", "c"]));
  const sb = new RedisSet();
  for (let i = 0; i < 1000; i++) sb.add(String(i));
  db0.setKey("set:manyints", sb);
  const zs = new RedisZSet();
  zs.add("a", 1);
  zs.add("b", 2.5);
  zs.add("c", -3);
  zs.add("inf", Number.POSITIVE_INFINITY);
  zs.add("ninf", Number.NEGATIVE_INFINITY);
  zs.add("tiny", 1e-300);
  zs.add("third", 1 / 3);
  db0.setKey("zset:small", zs);
  const zb = new RedisZSet();
  for (let i = 0; i < 500; i++) zb.add(`m${i}`, rand() * 1000 - 500);
  db0.setKey("zset:big", zb);
  const zl = new RedisZSet();
  zl.add("m".repeat(100), 1);
  db0.setKey("zset:longmember", zl);
  db0.setKey("ttl:str", "v");
  db0.setExpire("ttl:str", Date.now() + 100_000);
  db3.setKey("other-db", "value in db 3");
  db3.setKey(bin(rand, 30), bin(rand, 30));
}
