import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cloneValue } from "../../../src/store/clone-value.js";
import { RedisHash } from "../../../src/store/redis-hash.js";
import { RedisList } from "../../../src/store/redis-list.js";
import { RedisSet } from "../../../src/store/redis-set.js";
import { RedisZSet } from "../../../src/store/redis-zset.js";

/** COPY's deep copy: equal content, no shared container. */

describe("cloneValue", () => {
  it("copies every container type so later changes do not leak", () => {
    const list = RedisList.from(["a", "b"]);
    const l2 = cloneValue(list) as RedisList;
    l2.pushBack("c");
    assert.deepEqual(list.toArray(), ["a", "b"]);
    assert.deepEqual(l2.toArray(), ["a", "b", "c"]);

    const hash = RedisHash.from([["f", "v"]]);
    const h2 = cloneValue(hash) as Map<string, string>;
    h2.set("g", "w");
    assert.equal(hash.size, 1);
    assert.equal(h2.get("f"), "v");

    const set = RedisSet.from(["x"]);
    const s2 = cloneValue(set) as Set<string>;
    s2.delete("x");
    assert.ok(set.has("x"));

    const z = new RedisZSet();
    z.add("m1", 2);
    z.add("m0", 1);
    const z2 = cloneValue(z) as RedisZSet;
    z2.add("m2", 3);
    z2.delete("m0");
    assert.deepEqual(
      [...z.entries()],
      [
        ["m0", 1],
        ["m1", 2],
      ],
    );
    assert.deepEqual(
      [...z2.entries()],
      [
        ["m1", 2],
        ["m2", 3],
      ],
    );

    assert.equal(cloneValue("str"), "str");
  });
});
