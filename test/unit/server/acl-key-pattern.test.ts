import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { globMatch } from "../../../src/command-table/glob-match.js";
import { keyPatternMatcher } from "../../../src/server/acl/acl-selector.js";
import { seededRandom } from "../../helpers/differential.js";
import { testSeed } from "../../helpers/random-diff.js";

/** The ACL's precompiled key-pattern matchers agree with the glob matcher on every pattern and key. */
describe("ACL key pattern matchers", () => {
  it("match exactly what globMatch matches (seeded)", () => {
    const seed = testSeed();
    console.log(`acl key patterns: TEST_SEED=${seed}`);
    const rnd = seededRandom(seed);
    const alphabet = ["a", "b", ":", "*", "?", "[", "]", "\\", "x"];
    const word = (max: number) =>
      Array.from(
        { length: Math.floor(rnd() * (max + 1)) },
        () => alphabet[Math.floor(rnd() * alphabet.length)],
      ).join("");
    const fixed = ["", "*", "a", "a*", "ab:*", "*a", "a?", "[ab]*", "a\\*", "**"];
    for (let i = 0; i < 20_000; i++) {
      const pattern = i < fixed.length * 50 ? fixed[i % fixed.length] : word(5);
      const key = word(6).replace(/[*?[\]\\]/g, (c) => (rnd() < 0.5 ? c : "a"));
      assert.equal(
        keyPatternMatcher(pattern)(key),
        globMatch(pattern, key),
        `${JSON.stringify(pattern)} vs ${JSON.stringify(key)}`,
      );
    }
  });
});
