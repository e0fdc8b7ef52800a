import { parseInteger } from "../resp/parse-integer.js";
import type { KeySpec as MetaKeySpec } from "./command-meta.js";

/**
 * Redis 7 key specs: where a command's keys are and how it uses each (read, write, insert, delete ...).
 * The ACL checks `%R~` / `%W~` patterns against these flags. The specs come from the generated Redis 7.0
 * metadata (command-meta.ts); `keysWithFlags` finds the keys of one call as Redis's
 * getKeysFromCommandWithSpecs does, falling back to the command's own key finder (Redis's getkeys_proc)
 * where a spec cannot say (SORT's STORE, MIGRATE's KEYS, SET's GET, BITFIELD's sub-operations).
 */

/** Redis's CMD_KEY_* flags, named as COMMAND prints them. */
export const KeySpecFlag = {
  RO: 1 << 0,
  RW: 1 << 1,
  OW: 1 << 2,
  RM: 1 << 3,
  ACCESS: 1 << 4,
  UPDATE: 1 << 5,
  INSERT: 1 << 6,
  DELETE: 1 << 7,
  NOT_KEY: 1 << 8,
  INCOMPLETE: 1 << 9,
  VARIABLE_FLAGS: 1 << 10,
} as const;

const flagByName: Record<string, number> = {};
for (const [name, bit] of Object.entries(KeySpecFlag)) flagByName[name.toLowerCase()] = bit;

/** The flags' names as COMMAND prints them, in Redis's order ("RW", "access", "update"). */
export function keySpecFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(KeySpecFlag)) {
    if (flags & bit) out.push(bit <= KeySpecFlag.RM ? name : name.toLowerCase());
  }
  return out;
}

export interface KeySpec {
  readonly flags: number;
  readonly bsIndex: number;
  /** Null for an index begin_search. */
  readonly bsKeyword: string | null;
  readonly bsStartFrom: number;
  readonly bsUnknown: boolean;
  readonly fk: "range" | "keynum" | "unknown";
  /** range: lastkey, keystep, limit. keynum: keynumidx, firstkey, keystep. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** A key spec as Redis 7.0's metadata gives it (command-meta.ts), in the form key finding uses. */
export function keySpecFromMeta(m: MetaKeySpec): KeySpec {
  let flags = 0;
  for (const n of m.flags) flags |= flagByName[n.toLowerCase()] ?? 0;
  const bs = m.bs;
  const fk = m.fk;
  return {
    flags,
    bsIndex: bs[0] === "index" ? bs[1] : 0,
    bsKeyword: bs[0] === "keyword" ? bs[1] : null,
    bsStartFrom: bs[0] === "keyword" ? bs[2] : 0,
    bsUnknown: bs[0] === "unknown",
    fk: fk[0],
    a: fk[0] === "unknown" ? 0 : fk[1],
    b: fk[0] === "unknown" ? 0 : fk[2],
    c: fk[0] === "unknown" ? 0 : fk[3],
  };
}

/** A legacy first/last/step key range as one range spec with no flags (commands Redis 7.0 does not describe). */
export function legacyRangeKeySpec(firstKey: number, lastKey: number, step: number): KeySpec | null {
  if (firstKey <= 0) return null;
  return {
    flags: 0,
    bsIndex: firstKey,
    bsKeyword: null,
    bsStartFrom: 0,
    bsUnknown: false,
    fk: "range",
    a: lastKey >= 0 ? lastKey - firstKey : lastKey,
    b: step || 1,
    c: 0,
  };
}

/** One key argument: its argv index and the flags of the spec (or finder) that found it. */
export interface KeyRef {
  pos: number;
  flags: number;
}

/** What keysWithFlags needs to know about a command. */
export interface KeyedCommand {
  readonly fullName: string;
  readonly arity: number;
  readonly keySpecs: readonly KeySpec[];
}

const { RO, RW, OW, ACCESS, UPDATE, DELETE, NOT_KEY, INCOMPLETE, VARIABLE_FLAGS } = KeySpecFlag;

const eqi = (a: string, b: string) => a.length === b.length && a.toLowerCase() === b.toLowerCase();

/** Redis's getKeysUsingKeySpecs (no flags): the keys, or null when a spec cannot tell (invalid/incomplete). */
function keysUsingSpecs(cmd: KeyedCommand, argv: readonly string[]): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of cmd.keySpecs) {
    if (spec.flags & NOT_KEY) continue;
    let first = 0;
    if (spec.bsUnknown) return null;
    if (spec.bsKeyword === null) {
      first = spec.bsIndex;
    } else {
      const start = spec.bsStartFrom > 0 ? spec.bsStartFrom : argc + spec.bsStartFrom;
      const end = spec.bsStartFrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (eqi(argv[i], spec.bsKeyword)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // keyword absent: this spec has no keys here
    }
    let last: number;
    let step: number;
    if (spec.fk === "range") {
      step = spec.b;
      if (spec.a >= 0) last = first + spec.a;
      else if (spec.c === 0) last = argc + spec.a;
      else last = first + (Math.trunc((argc - first) / spec.c) + spec.a);
    } else if (spec.fk === "keynum") {
      step = spec.c;
      if (spec.a >= argc || first + spec.a >= argc) return null;
      const n = parseInteger(argv[first + spec.a]);
      if (n === null || n < 0) return null;
      first += spec.b;
      last = first + n - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (cmd.arity < 0) continue;
        return null;
      }
      out.push({ pos: i, flags: spec.flags });
    }
    if (spec.flags & INCOMPLETE) return null;
  }
  return out;
}

/** C's atoi, as Redis's genericGetKeys reads numkeys (leading digits, 0 when none). */
function atoi(s: string): number {
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** Redis's genericGetKeys: [store key] numkeys key ... (no flags). */
function genericKeys(storeAt: number, countAt: number, firstAt: number, argv: readonly string[]): KeyRef[] {
  const num = atoi(argv[countAt] ?? "");
  if (num < 1 || num > argv.length - firstAt) return [];
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: firstAt + i, flags: 0 });
  if (storeAt) out.push({ pos: storeAt, flags: 0 });
  return out;
}

function sortKeys(argv: readonly string[]): KeyRef[] {
  const out: KeyRef[] = [{ pos: 1, flags: RO | ACCESS }];
  let store: KeyRef | null = null;
  const skips: Record<string, number> = { limit: 2, get: 1, by: 1 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    // The last STORE wins, and its key is itself examined as an option (as Redis's sortGetKeys).
    if (a in skips) i += skips[a];
    else if (a === "store" && i + 1 < argv.length) store = { pos: i + 1, flags: OW | UPDATE };
  }
  if (store) out.push(store);
  return out;
}

function migrateKeys(argv: readonly string[]): KeyRef[] {
  let first = 3;
  let num = 1;
  const skips: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  if (argv.length > 6) {
    for (let i = 6; i < argv.length; i++) {
      const a = argv[i].toLowerCase();
      if (a === "keys") {
        if (argv[3].length > 0) num = 0;
        else {
          first = i + 1;
          num = argv.length - first;
        }
        break;
      }
      if (a in skips) i += skips[a];
    }
  }
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: first + i, flags: RW | ACCESS | DELETE });
  return out;
}

function georadiusKeys(argv: readonly string[]): KeyRef[] {
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if ((a === "store" || a === "storedist") && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  const out: KeyRef[] = [{ pos: 1, flags: 0 }];
  if (stored !== -1) out.push({ pos: stored, flags: 0 });
  return out;
}

function xreadKeys(argv: readonly string[]): KeyRef[] {
  let streamsAt = -1;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === "block" || a === "count") i++;
    else if (a === "group") i += 2;
    else if (a === "noack") continue;
    else if (a === "streams") {
      streamsAt = i;
      break;
    } else break;
  }
  const rest = streamsAt === -1 ? 0 : argv.length - streamsAt - 1;
  if (streamsAt === -1 || rest === 0 || rest % 2 !== 0) return [];
  const out: KeyRef[] = [];
  for (let i = 0; i < rest / 2; i++) out.push({ pos: streamsAt + 1 + i, flags: 0 });
  return out;
}

function setKeys(argv: readonly string[]): KeyRef[] {
  for (let i = 3; i < argv.length; i++) {
    if (eqi(argv[i], "get")) return [{ pos: 1, flags: RW | ACCESS | UPDATE }];
  }
  return [{ pos: 1, flags: OW | UPDATE }];
}

function bitfieldKeys(argv: readonly string[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const a = argv[i].toLowerCase();
    if (a === "get" && rem >= 2) i += 2;
    else if ((a === "set" || a === "incrby") && rem >= 3) {
      readonly = false;
      break;
    } else if (a === "overflow" && rem >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readonly ? RO | ACCESS : RW | ACCESS | UPDATE }];
}

/** Redis 7.0's getkeys_proc of each command that has one (db.c). */
const KEY_FINDERS: Record<string, (argv: readonly string[]) => KeyRef[]> = {
  sintercard: (a) => genericKeys(0, 1, 2, a),
  zunionstore: (a) => genericKeys(1, 2, 3, a),
  zinterstore: (a) => genericKeys(1, 2, 3, a),
  zdiffstore: (a) => genericKeys(1, 2, 3, a),
  zunion: (a) => genericKeys(0, 1, 2, a),
  zinter: (a) => genericKeys(0, 1, 2, a),
  zintercard: (a) => genericKeys(0, 1, 2, a),
  zdiff: (a) => genericKeys(0, 1, 2, a),
  eval: (a) => genericKeys(0, 2, 3, a),
  evalsha: (a) => genericKeys(0, 2, 3, a),
  eval_ro: (a) => genericKeys(0, 2, 3, a),
  evalsha_ro: (a) => genericKeys(0, 2, 3, a),
  fcall: (a) => genericKeys(0, 2, 3, a),
  fcall_ro: (a) => genericKeys(0, 2, 3, a),
  lmpop: (a) => genericKeys(0, 1, 2, a),
  blmpop: (a) => genericKeys(0, 2, 3, a),
  zmpop: (a) => genericKeys(0, 1, 2, a),
  bzmpop: (a) => genericKeys(0, 2, 3, a),
  sort: sortKeys,
  sort_ro: () => [{ pos: 1, flags: RO | ACCESS }],
  migrate: migrateKeys,
  georadius: georadiusKeys,
  georadiusbymember: georadiusKeys,
  xread: xreadKeys,
  xreadgroup: xreadKeys,
  set: setKeys,
  bitfield: bitfieldKeys,
};

/** Redis's doesCommandHaveKeys: a key finder, or a spec that is not NOT_KEY. */
export function commandHasKeys(cmd: KeyedCommand): boolean {
  if (KEY_FINDERS[cmd.fullName] !== undefined) return true;
  for (const s of cmd.keySpecs) if (!(s.flags & NOT_KEY)) return true;
  return false;
}

/**
 * The keys of one call with their access flags (Redis's getKeysFromCommandWithSpecs): the specs when
 * they are reliable, else the command's key finder, else none.
 */
export function keysWithFlags(cmd: KeyedCommand, argv: readonly string[]): KeyRef[] {
  let anyKey = false;
  let variable = false;
  for (const s of cmd.keySpecs) {
    if (!(s.flags & NOT_KEY)) anyKey = true;
    if (s.flags & VARIABLE_FLAGS) variable = true;
  }
  if (anyKey && !variable) {
    const found = keysUsingSpecs(cmd, argv);
    if (found !== null) return found;
  }
  const finder = KEY_FINDERS[cmd.fullName];
  return finder ? finder(argv) : [];
}
