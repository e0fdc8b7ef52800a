import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { globMatch } from "../../../src/command-table/glob-match.js";

/**
 * The glob matcher against a table of patterns whose answers were read off Debian's redis-server 7.0
 * (KEYS / PUBSUB CHANNELS for the case-sensitive rows, CONFIG GET for the case-insensitive ones), plus
 * pathological patterns that must answer in linear-ish time.
 */

/** [pattern, string, expected] matched with case. */
const CASE_TABLE: [string, string, boolean][] = [
  ["", "", true],
  ["", "a", false],
  ["*", "", false], // Redis never enters its loop for an empty string
  ["**", "", false],
  ["?", "", false],
  ["*", "abc", true],
  ["a*", "a", true],
  ["a**", "a", true],
  ["*a", "a", true],
  ["*a*", "bab", true],
  ["a*b", "ab", true],
  ["a*b", "axxb", true],
  ["a*b", "axxbc", false],
  ["a*b*c", "abbbc", true],
  ["a*b*c", "acb", false],
  ["*?", "a", true],
  ["?*?", "a", false],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["???", "ab", false],
  ["a*a*a*b", "aaaaaaab", true],
  ["a*a*a*b", "aaaaaaaa", false],
  ["*ab*ab", "abaabab", true],
  // classes
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[!e]llo", "h!llo", true], // `!` is an ordinary member, not a negation
  ["h[!e]llo", "hallo", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[a-b]llo", "hcllo", false],
  ["[z-a]", "m", true], // reversed range
  ["[Z-a]", "_", true],
  ["[a-]", "]", true], // the range a..] and then an unterminated class
  ["[a-]", "-", false],
  ["[a-]x", "bx", false], // ...which swallows the x
  ["[-a]", "-", true],
  ["[a-c-e]", "-", true],
  ["[a-c-e]", "d", false],
  ["[]a]", "a", false], // `]` right after `[` closes an empty class, which matches nothing
  ["[]a]", "]a]", false],
  ["[]", "a", false],
  ["[]a", "a", false],
  ["[^]", "x", true], // an empty negated class matches anything
  ["[^]a", "xa", true],
  ["[^]]", "x]", true],
  ["[\\]]", "]", true],
  ["[\\]", "\\", false], // `\]`: an escaped `]`, class left unterminated
  ["[\\]", "]", true],
  ["[\\-]", "-", true],
  ["[a\\-z]", "b", false],
  ["[a\\-z]", "-", true],
  ["[\\^]", "^", true],
  ["[^^]", "^", false],
  ["[^\\^]", "a", true],
  ["[\\a-z]", "m", false], // `\a` then the literals `-` and `z`
  ["[\\a-z]", "z", true],
  ["[a-\\]", "\\", true], // the range a..\ (reversed)
  ["[a-\\]", "]", true],
  ["[a-\\]", "^", true],
  ["[a-\\]", "[", false],
  ["[*]", "*", true],
  ["[*]", "x", false],
  ["[?]", "?", true],
  ["[?]", "x", false],
  ["[[]", "[", true],
  // unterminated classes
  ["a[b", "ab", true],
  ["a[bc", "ac", true],
  ["a[", "a", false],
  ["a[", "ab", false],
  ["a[^", "ab", true],
  ["a[^", "a", false],
  ["[^a", "b", true],
  ["[^a", "a", false],
  ["[a-", "-", true],
  ["[a-", "b", false],
  // escapes
  ["h\\*llo", "h*llo", true],
  ["h\\*llo", "hello", false],
  ["\\?", "?", true],
  ["\\?", "a", false],
  ["\\[a]", "[a]", true],
  ["\\\\", "\\", true],
  ["a\\", "a\\", true], // a trailing backslash is itself
  ["a\\", "a", false],
  ["\\a", "a", true],
  ["*\\*", "ab*", true],
  ["*\\*", "ab", false],
  // signed-char ranges: bytes 0x80-0xff sort below 0x00
  ["[a-\xff]", "\xe9", false],
  ["[a-\xff]", "\xff", true],
  ["[a-\xff]", "A", true],
  ["[\x01-\xe9]", "\xe9", true],
  ["[\x01-\xe9]", "\xea", true],
  ["[\x01-\xe9]", "\xe8", false],
  ["[\x01-\xe9]", "\x02", false],
  ["[\x80-\xfe]", "\x80", true],
  ["[\x80-\xfe]", "\xff", false],
  ["\xe9*", "\xe9t\xe9", true],
  ["[^\x80-\xff]", "a", true],
  ["[^\x80-\xff]", "\xc0", false],
  // Redis's nesting guard: 1000 `*` with something after them are fine, 1001 match nothing
  ["*a".repeat(1000) + "*", "a".repeat(1001), true],
  ["*a".repeat(1001) + "*", "a".repeat(1001), false],
  ["a*".repeat(1001), "a".repeat(1001), true],
  ["*?".repeat(1001), "a".repeat(2000), false],
];

/** [pattern, string, expected] matched without case (CONFIG GET, COMMAND LIST FILTERBY PATTERN). */
const NOCASE_TABLE: [string, string, boolean][] = [
  ["MAXMEM*", "maxmemory", true],
  ["[M]axmemory", "maxmemory", true],
  ["[\\M]axmemory", "maxmemory", false], // an escaped class member keeps its case
  ["[\\m]axmemory", "maxmemory", true],
  ["\\Maxmemory*", "maxmemory", true], // an escaped literal does not
  ["[L-N]axmemory", "maxmemory", true],
  ["[^L-N]axmemory", "maxmemory", false],
  ["[^]axmemory", "maxmemory", true],
  ["[\xe9-z]axmemory", "maxmemory", false], // tolower() moves the lower bound to 0xe9
  ["[\xff-z]axmemory", "maxmemory", true], // ...but 0xff is EOF (-1) and stays put
  ["[\xfe-z]axmemory", "maxmemory", false],
  ["[z-\xff]axmemory", "maxmemory", true],
  ["MAXMEMOR[", "maxmemory", false],
  ["maxmemory[^", "maxmemory", false],
  ["maxmemory\\", "maxmemory", false],
  ["*MEMORY-POLICY", "maxmemory-policy", true],
];

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...(${s.length})` : s);

describe("globMatch", () => {
  it("answers as Redis for every row of the case-sensitive table", () => {
    for (const [p, s, want] of CASE_TABLE) {
      assert.equal(globMatch(p, s), want, `globMatch(${show(p)}, ${show(s)})`);
    }
  });

  it("answers as Redis for every row of the case-insensitive table", () => {
    for (const [p, s, want] of NOCASE_TABLE) {
      assert.equal(globMatch(p, s, true), want, `globMatch(${show(p)}, ${show(s)}, nocase)`);
    }
    // case matters without nocase
    assert.equal(globMatch("MAXMEM*", "maxmemory"), false);
    assert.equal(globMatch("[L-N]axmemory", "maxmemory"), false);
  });

  it("answers pathological patterns in linear-ish time", () => {
    const cases: [string, string, boolean][] = [
      [`${"a*".repeat(20)}b`, "a".repeat(40), false],
      [`${"a*".repeat(500)}b`, "a".repeat(10_000), false],
      [`${"*a".repeat(900)}b`, "a".repeat(10_000), false],
      [`${"*?".repeat(50_000)}`, "a".repeat(50_000), false],
      [`${"*[a-z]".repeat(800)}`, "q".repeat(20_000), true],
      [`${"*[^b]".repeat(800)}*b`, "a".repeat(20_000), false],
    ];
    for (const [p, s, want] of cases) {
      const t0 = performance.now();
      assert.equal(globMatch(p, s), want, `globMatch(${show(p)}, ${show(s)})`);
      const ms = performance.now() - t0;
      assert.ok(ms < 1000, `globMatch(${show(p)}, ${show(s)}) took ${ms.toFixed(0)} ms`);
    }
  });
});
