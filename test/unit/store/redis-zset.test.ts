import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisZSet } from "../../../src/store/redis-zset.js";
import { seededRandom } from "../../helpers/differential.js";

/**
 * The skiplist against a naive model: a Map of scores whose entries are sorted on every check. Random
 * adds, score updates and deletes; after each step ranks, rank lookups and range counts must agree.
 */

type Model = Map<string, number>;

function sortedModel(m: Model): [string, number][] {
  return [...m.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function checkAgainstModel(z: RedisZSet, m: Model, rnd: () => number, where: string): void {
  const want = sortedModel(m);
  assert.equal(z.size, want.length, `size ${where}`);
  assert.deepEqual([...z.entries()], want, `entries ${where}`);
  for (let r = 0; r < want.length; r++) {
    const [member, score] = want[r];
    assert.equal(z.rank(member), r, `rank of ${member} ${where}`);
    assert.equal(z.memberAt(r), member, `memberAt(${r}) ${where}`);
    assert.equal(z.score(member), score);
  }
  assert.equal(z.memberAt(want.length), undefined);
  assert.equal(z.memberAt(-1), undefined);
  // Backward links mirror forward order.
  const back: string[] = [];
  for (let n = z.last; n !== null; n = n.backward) back.push(n.member);
  assert.deepEqual(back, want.map((e) => e[0]).reverse(), `backward walk ${where}`);
  const s = Math.floor(rnd() * 20) - 2;
  assert.equal(z.countBelow(s, false), want.filter((e) => e[1] < s).length, `countBelow(${s}) ${where}`);
  assert.equal(z.countBelow(s, true), want.filter((e) => e[1] <= s).length, `countBelow(${s}, =) ${where}`);
}

test("skiplist matches a naive sorted model under random adds, updates and deletes", () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const rnd = seededRandom(seed);
    const z = new RedisZSet();
    const m: Model = new Map();
    for (let step = 0; step < 3000; step++) {
      const member = `m${Math.floor(rnd() * 60)}`;
      const op = rnd();
      if (op < 0.6) {
        const score = Math.floor(rnd() * 16) - 2 + (rnd() < 0.2 ? 0.5 : 0);
        assert.equal(z.add(member, score), !m.has(member), `add new? seed ${seed} step ${step}`);
        m.set(member, score);
      } else {
        assert.equal(z.delete(member), m.delete(member), `delete seed ${seed} step ${step}`);
      }
      if (step % 50 === 0 || step > 2950) checkAgainstModel(z, m, rnd, `(seed ${seed}, step ${step})`);
    }
  }
});

test("equal scores order by member bytes, including high latin1 bytes", () => {
  const z = new RedisZSet();
  for (const m of ["b", "\xff", "a", "B", "", "ab"]) z.add(m, 1);
  assert.deepEqual(
    [...z.entries()].map((e) => e[0]),
    ["", "B", "a", "ab", "b", "\xff"],
  );
  assert.equal(z.countBelowMember("ab", false), 3);
  assert.equal(z.countBelowMember("ab", true), 4);
});

test("infinite scores sort at the ends and score updates keep the order", () => {
  const z = new RedisZSet();
  z.add("x", Number.POSITIVE_INFINITY);
  z.add("y", Number.NEGATIVE_INFINITY);
  z.add("z", 0);
  assert.deepEqual(
    [...z.entries()].map((e) => e[0]),
    ["y", "z", "x"],
  );
  z.add("z", 1e300);
  z.add("y", 5e300);
  assert.deepEqual(
    [...z.entries()].map((e) => e[0]),
    ["z", "y", "x"],
  );
  assert.equal(z.rank("x"), 2);
  z.clear();
  assert.equal(z.size, 0);
  assert.equal(z.first, null);
  z.add("a", 1);
  assert.deepEqual([...z.entries()], [["a", 1]]);
});

test("a large set keeps O(log n) ranks consistent", () => {
  const z = new RedisZSet();
  const n = 50_000;
  for (let i = 0; i < n; i++) z.add(`k${i}`, (i * 7919) % n);
  for (let i = 0; i < n; i += 997) {
    const member = `k${i}`;
    const r = z.rank(member)!;
    assert.equal(z.memberAt(r), member);
    assert.equal(r, (i * 7919) % n);
  }
  for (let i = 0; i < n; i += 2) z.delete(`k${i}`);
  assert.equal(z.size, n / 2);
  let prev = Number.NEGATIVE_INFINITY;
  let count = 0;
  for (const [, s] of z.entries()) {
    assert.ok(s >= prev);
    prev = s;
    count++;
  }
  assert.equal(count, n / 2);
});
