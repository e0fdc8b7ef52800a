/**
 * Redis's glob-style pattern matching (util.c stringmatchlen), used by KEYS, the SCAN family's MATCH,
 * PSUBSCRIBE/PUBLISH, PUBSUB CHANNELS, COMMAND LIST FILTERBY PATTERN and CONFIG GET. Works on latin1
 * strings (one char per byte), so it is binary-safe.
 *
 * Redis's matcher recurses at every `*`; this one first cuts the pattern into tokens (a run of `*`, or a
 * token that consumes exactly one character: `?`, a class `[...]`, a literal or `\x`), then matches them
 * with the two-pointer method that only remembers the most recent `*`. That is enough because a `*` matches
 * any sequence: once a later `*` has been reached, giving an earlier `*` a longer share can never help. The
 * cost is O(pattern × string) in the worst case, never exponential.
 *
 * Redis's results are kept exactly, including its corners:
 * - an empty string matches only the empty pattern (Redis's loop never starts, so `*` does not match "";
 *   callers that treat a lone `*` as "everything" do so themselves, as Redis does);
 * - `[^...]` negates a class (`!` is an ordinary character), `]` right after `[` or `[^` ends the class,
 *   `\x` inside a class matches x case-sensitively even when matching without case, `a-b` is a range
 *   (reversed ranges are swapped), `[a-]` is the range from `a` to `]`, and an unterminated class runs to
 *   the end of the pattern (`[` at the very end matches nothing, `[^` at the very end matches anything);
 * - range bounds compare as C `char`, which is signed: bytes 0x80-0xff sort before 0x00; without case,
 *   bounds and character then go through glibc's tolower(), which maps 0x80-0xfe back above 0x7f;
 * - `\` escapes the next character; a trailing `\` is a literal backslash;
 * - more than 1000 nested `*` (Redis's CVE-2024-31228 guard) make the pattern match nothing.
 */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  if (str.length === 0) return pattern.length === 0;
  return matchTokens(compile(pattern, nocase), str);
}

/** Redis gives up (no match) once it is this many `*` deep in its recursion. */
const MAX_STAR_NESTING = 1000;

const STAR = 0;
const ANY = 1;
const LITERAL = 2;
const CLASS = 3;

interface Token {
  kind: typeof STAR | typeof ANY | typeof LITERAL | typeof CLASS;
  /** LITERAL: the character (lowered when matching without case). */
  ch: number;
  /** CLASS: whether it was written `[^...]`. */
  negated: boolean;
  /** CLASS: the characters compared case-sensitively (escaped ones), then those lowered under nocase. */
  exact: number[];
  folded: number[];
  /** CLASS: inclusive ranges as signed-char bounds (lowered under nocase), [lo0, hi0, lo1, hi1, ...]. */
  ranges: number[];
}

interface Compiled {
  tokens: Token[];
  nocase: boolean;
  /** The pattern can never match (too many nested stars). */
  never: boolean;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as C's (signed) `char`. */
function signedChar(c: number): number {
  return c >= 128 ? c - 256 : c;
}

/**
 * glibc's tolower() applied to a signed `char`, as Redis does for range bounds and the tested character
 * when matching without case: A-Z fold, -128..-2 come back as 128..254, and -1 (EOF) stays -1.
 */
function lowerSigned(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  return c <= -2 ? c + 256 : c;
}

function token(kind: Token["kind"], ch = 0): Token {
  return { kind, ch, negated: false, exact: [], folded: [], ranges: [] };
}

/** The pattern's tokens, parsed the way Redis walks it (the walk does not depend on the string). */
function compile(p: string, nocase: boolean): Compiled {
  const tokens: Token[] = [];
  const plen = p.length;
  let pi = 0;
  while (pi < plen) {
    const pc = p.charCodeAt(pi);
    if (pc === 42) {
      // '*': a run of stars is one token
      if (tokens.length === 0 || tokens[tokens.length - 1].kind !== STAR) tokens.push(token(STAR));
      pi++;
    } else if (pc === 63) {
      tokens.push(token(ANY));
      pi++;
    } else if (pc === 91) {
      pi = compileClass(p, pi + 1, nocase, tokens);
    } else {
      // '\' escapes the next character unless it is the pattern's last one
      if (pc === 92 && pi + 1 < plen) pi++;
      const c = p.charCodeAt(pi);
      tokens.push(token(LITERAL, nocase ? lower(c) : c));
      pi++;
    }
  }
  // Redis recurses once per `*` that still has something after it; past 1000 levels it answers "no
  // match". A trailing `*` returns a match without recursing, so it does not count.
  let nested = 0;
  for (let i = 0; i < tokens.length - 1; i++) if (tokens[i].kind === STAR) nested++;
  return { tokens, nocase, never: nested > MAX_STAR_NESTING };
}

/** Parses a class whose body starts at `pi` (just after `[`), pushes it, returns the index after it. */
function compileClass(p: string, pi: number, nocase: boolean, tokens: Token[]): number {
  const plen = p.length;
  const t = token(CLASS);
  if (pi < plen && p.charCodeAt(pi) === 94) {
    t.negated = true;
    pi++;
  }
  while (pi < plen) {
    const cc = p.charCodeAt(pi);
    if (cc === 92 && pi + 1 < plen) {
      // '\x': x itself, compared case-sensitively
      t.exact.push(p.charCodeAt(pi + 1));
      pi += 2;
    } else if (cc === 93) {
      pi++; // ']' closes the class
      break;
    } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45) {
      // 'a-b'
      let start = signedChar(cc);
      let end = signedChar(p.charCodeAt(pi + 2));
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lowerSigned(start);
        end = lowerSigned(end);
      }
      t.ranges.push(start, end);
      pi += 3;
    } else {
      t.folded.push(nocase ? lower(cc) : cc);
      pi++;
    }
  }
  tokens.push(t);
  return pi;
}

function classMatches(t: Token, c: number, nocase: boolean): boolean {
  let match = t.exact.includes(c);
  if (!match) {
    match = t.folded.includes(nocase ? lower(c) : c);
    if (!match) {
      const r = t.ranges;
      const sc = nocase ? lowerSigned(signedChar(c)) : signedChar(c);
      for (let i = 0; i < r.length; i += 2) {
        if (sc >= r[i] && sc <= r[i + 1]) {
          match = true;
          break;
        }
      }
    }
  }
  return t.negated ? !match : match;
}

function tokenMatches(t: Token, c: number, nocase: boolean): boolean {
  switch (t.kind) {
    case ANY:
      return true;
    case LITERAL:
      return (nocase ? lower(c) : c) === t.ch;
    case CLASS:
      return classMatches(t, c, nocase);
    default:
      return false;
  }
}

/**
 * Two pointers over the tokens and the string. On a mismatch, go back to the most recent `*` and let it
 * swallow one more character; with no `*` behind, there is no match.
 */
function matchTokens(m: Compiled, s: string): boolean {
  if (m.never) return false;
  const { tokens, nocase } = m;
  const tlen = tokens.length;
  const slen = s.length;
  let ti = 0;
  let si = 0;
  let starTi = -1; // the token after the most recent `*`
  let starSi = 0; // where that `*`'s share currently ends
  while (si < slen) {
    if (ti < tlen) {
      const t = tokens[ti];
      if (t.kind === STAR) {
        starTi = ++ti;
        starSi = si;
        continue;
      }
      if (tokenMatches(t, s.charCodeAt(si), nocase)) {
        ti++;
        si++;
        continue;
      }
    }
    if (starTi < 0) return false;
    ti = starTi;
    si = ++starSi;
  }
  while (ti < tlen && tokens[ti].kind === STAR) ti++;
  return ti === tlen;
}
