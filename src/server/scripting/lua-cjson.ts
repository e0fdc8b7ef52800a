import { formatCDouble } from "./c-number-format.js";
import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/**
 * The `cjson` library Redis bundles (Lua CJSON 2.1): encode/decode with its rules and error texts —
 * "/" escaped as "\/", numbers with "%.14g", sparse arrays refused past a 2:1 ratio, empty tables as
 * "{}", cjson.null for JSON null, and the "Expected X but found Y at character N" decoding errors.
 * Written for Tandem on top of fengari's API.
 */

interface CjsonConfig {
  precision: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeInvalidNumbers: boolean | "null";
  decodeInvalidNumbers: boolean;
  keepBuffer: boolean;
}

function defaultConfig(): CjsonConfig {
  return {
    precision: 14,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeInvalidNumbers: false,
    decodeInvalidNumbers: true,
    keepBuffer: true,
  };
}

/** cjson.null: a light userdata standing for JSON null (NULL in C). */
const JSON_NULL = { cjsonNull: true };

const ESCAPES: string[] = [];
for (let i = 0; i < 256; i++) {
  if (i < 0x20 || i === 0x7f) ESCAPES[i] = "\\u" + i.toString(16).padStart(4, "0");
  else ESCAPES[i] = "";
}
ESCAPES[8] = "\\b";
ESCAPES[9] = "\\t";
ESCAPES[10] = "\\n";
ESCAPES[12] = "\\f";
ESCAPES[13] = "\\r";
ESCAPES[0x22] = '\\"';
ESCAPES[0x5c] = "\\\\";
ESCAPES[0x2f] = "\\/";

function escapeString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const e = ESCAPES[s.charCodeAt(i)];
    if (e !== "" && e !== undefined) {
      out += s.slice(start, i) + e;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

class CjsonError extends Error {}

function formatNumber(cfg: CjsonConfig, x: number): string {
  if (!Number.isFinite(x)) {
    if (cfg.encodeInvalidNumbers === false)
      throw new CjsonError("Cannot serialise number: must not be NaN or Inf");
    if (cfg.encodeInvalidNumbers === "null") return "null";
    return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  }
  if (Number.isInteger(x) && Math.abs(x) < 1e14) return Object.is(x, -0) ? "-0" : String(x);
  return formatCDouble("g", x, undefined, 0, cfg.precision);
}

/** Lua CJSON's lua_array_length: -1 for an object, the length for an array (sparse rules applied). */
function arrayLength(L: LuaState, cfg: CjsonConfig, idx: number): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2);
      if (Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) throw new CjsonError("Cannot serialise table: excessively sparse array");
    return -1;
  }
  return max;
}

function typeName(L: LuaState, idx: number): string {
  return luaBytes.toLatin1(lauxlib.luaL_typename(L, idx));
}

function encodeValue(L: LuaState, cfg: CjsonConfig, depth: number, idx: number): string {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TSTRING:
      return escapeString(luaBytes.get(L, idx)!);
    case lua.LUA_TNUMBER:
      return formatNumber(cfg, lua.lua_tonumber(L, idx));
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, idx) ? "true" : "false";
    case lua.LUA_TNIL:
      return "null";
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, idx) === JSON_NULL) return "null";
      break;
    case lua.LUA_TTABLE: {
      const d = depth + 1;
      if (d > cfg.encodeMaxDepth) throw new CjsonError(`Cannot serialise, excessive nesting (${d})`);
      lauxlib.luaL_checkstack(L, 6, "");
      const t = lua.lua_absindex(L, idx);
      const len = arrayLength(L, cfg, t);
      if (len > 0) {
        const parts: string[] = [];
        for (let i = 1; i <= len; i++) {
          lua.lua_rawgeti(L, t, i);
          parts.push(encodeValue(L, cfg, d, lua.lua_gettop(L)));
          lua.lua_pop(L, 1);
        }
        return "[" + parts.join(",") + "]";
      }
      const parts: string[] = [];
      lua.lua_pushnil(L);
      while (lua.lua_next(L, t)) {
        const kt = lua.lua_type(L, -2);
        let key: string;
        if (kt === lua.LUA_TSTRING) key = escapeString(luaBytes.get(L, -2)!);
        else if (kt === lua.LUA_TNUMBER) key = '"' + formatNumber(cfg, lua.lua_tonumber(L, -2)) + '"';
        else
          throw new CjsonError(`Cannot serialise ${typeName(L, -2)}: table key must be a number or string`);
        parts.push(key + ":" + encodeValue(L, cfg, d, lua.lua_gettop(L)));
        lua.lua_pop(L, 1);
      }
      return "{" + parts.join(",") + "}";
    }
  }
  throw new CjsonError(`Cannot serialise ${typeName(L, idx)}: type not supported`);
}

// ─── decoding ─────────────────────────────────────────────────────────────────────────────────────────

type Token =
  | {
      t:
        | "T_OBJ_BEGIN"
        | "T_OBJ_END"
        | "T_ARR_BEGIN"
        | "T_ARR_END"
        | "T_COLON"
        | "T_COMMA"
        | "T_END"
        | "T_NULL";
    }
  | { t: "T_STRING"; s: string }
  | { t: "T_NUMBER"; n: number }
  | { t: "T_BOOLEAN"; b: boolean }
  | { t: "T_ERROR"; msg: string; pos?: number };

class JsonDecoder {
  pos = 0;
  depth = 0;
  constructor(
    readonly s: string,
    readonly cfg: CjsonConfig,
    readonly L: LuaState,
  ) {}

  private token(): { tok: Token; at: number } {
    const s = this.s;
    while (this.pos < s.length && " \t\r\n".includes(s[this.pos])) this.pos++;
    const at = this.pos;
    if (this.pos >= s.length) return { tok: { t: "T_END" }, at };
    const ch = s[this.pos];
    const single: Record<string, Token["t"]> = {
      "{": "T_OBJ_BEGIN",
      "}": "T_OBJ_END",
      "[": "T_ARR_BEGIN",
      "]": "T_ARR_END",
      ":": "T_COLON",
      ",": "T_COMMA",
    };
    if (single[ch] !== undefined) {
      this.pos++;
      return { tok: { t: single[ch] } as Token, at };
    }
    if (ch === '"') {
      // Errors inside a string point at the offending character, as Lua CJSON's do.
      const tok = this.string();
      return { tok, at: tok.t === "T_ERROR" && tok.pos !== undefined ? tok.pos : at };
    }
    if (ch === "-" || (ch >= "0" && ch <= "9")) return { tok: this.number(), at };
    for (const [word, tok] of [
      ["true", { t: "T_BOOLEAN", b: true }],
      ["false", { t: "T_BOOLEAN", b: false }],
      ["null", { t: "T_NULL" }],
    ] as const) {
      if (s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { tok, at };
      }
    }
    if (this.cfg.decodeInvalidNumbers) {
      const m = /^(?:[+-]?(?:inf|nan|infinity)|0x[0-9a-f]+)/i.exec(s.slice(this.pos));
      if (m) return { tok: this.number(), at };
    }
    return { tok: { t: "T_ERROR", msg: "invalid token" }, at };
  }

  private number(): Token {
    const m = /^[+-]?(?:0x[0-9a-fA-F]+|inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i.exec(
      this.s.slice(this.pos),
    );
    if (!m) return { t: "T_ERROR", msg: "invalid number" };
    const text = m[0];
    this.pos += text.length;
    let n: number;
    const lower = text.toLowerCase().replace(/^\+/, "");
    if (lower.includes("0x"))
      n = (lower.startsWith("-") ? -1 : 1) * Number.parseInt(lower.replace(/^-?0x/, ""), 16);
    else if (lower.includes("nan")) n = Number.NaN;
    else if (lower.includes("inf")) n = lower.startsWith("-") ? -Infinity : Infinity;
    else n = Number(text);
    return { t: "T_NUMBER", n };
  }

  private string(): Token {
    const s = this.s;
    let out = "";
    this.pos++;
    while (true) {
      if (this.pos >= s.length) return { t: "T_ERROR", msg: "unexpected end of string", pos: this.pos };
      const ch = s[this.pos];
      if (ch === '"') {
        this.pos++;
        return { t: "T_STRING", s: out };
      }
      if (ch !== "\\") {
        out += ch;
        this.pos++;
        continue;
      }
      const esc = s[this.pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (esc !== undefined && simple[esc] !== undefined) {
        out += simple[esc];
        this.pos += 2;
        continue;
      }
      if (esc === "u") {
        const at = this.pos;
        const cp = this.unicodeEscape();
        if (cp < 0) return { t: "T_ERROR", msg: "invalid unicode escape code", pos: at };
        out += utf8Latin1(cp);
        continue;
      }
      return { t: "T_ERROR", msg: "invalid escape code", pos: this.pos };
    }
  }

  /** \uXXXX (with a surrogate pair when present); the code point, or -1. */
  private unicodeEscape(): number {
    const hex = (at: number) => {
      const h = this.s.slice(at, at + 4);
      return /^[0-9a-fA-F]{4}$/.test(h) ? Number.parseInt(h, 16) : -1;
    };
    const hi = hex(this.pos + 2);
    if (hi < 0) return -1;
    this.pos += 6;
    if (hi >= 0xd800 && hi <= 0xdbff) {
      if (this.s[this.pos] !== "\\" || this.s[this.pos + 1] !== "u") return -1;
      const lo = hex(this.pos + 2);
      if (lo < 0xdc00 || lo > 0xdfff) return -1;
      this.pos += 6;
      return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (hi >= 0xdc00 && hi <= 0xdfff) return -1;
    return hi;
  }

  private fail(expected: string, tok: Token, at: number): never {
    const found = tok.t === "T_ERROR" ? tok.msg : tok.t;
    throw new CjsonError(`Expected ${expected} but found ${found} at character ${at + 1}`);
  }

  /** Parses one value and pushes it. */
  value(): void {
    const { tok, at } = this.token();
    this.pushToken(tok, at);
  }

  private pushToken(tok: Token, at: number): void {
    const L = this.L;
    switch (tok.t) {
      case "T_STRING":
        luaBytes.push(L, tok.s);
        return;
      case "T_NUMBER":
        lua.lua_pushnumber(L, tok.n);
        return;
      case "T_BOOLEAN":
        lua.lua_pushboolean(L, tok.b);
        return;
      case "T_NULL":
        lua.lua_pushlightuserdata(L, JSON_NULL);
        return;
      case "T_OBJ_BEGIN":
        this.object(at);
        return;
      case "T_ARR_BEGIN":
        this.array(at);
        return;
      default:
        this.fail("value", tok, at);
    }
  }

  private nest(at: number): void {
    if (++this.depth > this.cfg.decodeMaxDepth) {
      throw new CjsonError(`Found too many nested data structures (${this.depth}) at character ${at + 1}`);
    }
    lauxlib.luaL_checkstack(this.L, 3, "");
  }

  private object(at: number): void {
    const L = this.L;
    this.nest(at);
    lua.lua_createtable(L, 0, 0);
    let { tok, at: p } = this.token();
    if (tok.t === "T_OBJ_END") {
      this.depth--;
      return;
    }
    while (true) {
      if (tok.t !== "T_STRING") this.fail("object key string", tok, p);
      luaBytes.push(L, tok.s);
      ({ tok, at: p } = this.token());
      if (tok.t !== "T_COLON") this.fail("colon", tok, p);
      this.value();
      lua.lua_rawset(L, -3);
      ({ tok, at: p } = this.token());
      if (tok.t === "T_OBJ_END") {
        this.depth--;
        return;
      }
      if (tok.t !== "T_COMMA") this.fail("comma or object end", tok, p);
      ({ tok, at: p } = this.token());
    }
  }

  private array(at: number): void {
    const L = this.L;
    this.nest(at);
    lua.lua_createtable(L, 0, 0);
    let { tok, at: p } = this.token();
    if (tok.t === "T_ARR_END") {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.pushToken(tok, p);
      lua.lua_rawseti(L, -2, i);
      ({ tok, at: p } = this.token());
      if (tok.t === "T_ARR_END") {
        this.depth--;
        return;
      }
      if (tok.t !== "T_COMMA") this.fail("comma or array end", tok, p);
      ({ tok, at: p } = this.token());
    }
  }

  /** The whole text: one value then the end. */
  document(): void {
    this.value();
    const { tok, at } = this.token();
    if (tok.t !== "T_END") this.fail("the end", tok, at);
  }
}

/** A code point as UTF-8 bytes in a latin1 string. */
function utf8Latin1(cp: number): string {
  return Buffer.from(String.fromCodePoint(cp), "utf8").toString("latin1");
}

// ─── the module table ─────────────────────────────────────────────────────────────────────────────────

function guard(L: LuaState, fn: () => number): number {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CjsonError) return luaBytes.raise(L, err.message);
    throw err;
  }
}

function optBool(L: LuaState, idx: number): boolean | null {
  if (lua.lua_type(L, idx) <= lua.LUA_TNIL) return null;
  if (lua.lua_type(L, idx) === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx);
  const s = luaBytes.get(L, idx);
  if (s === "on") return true;
  if (s === "off") return false;
  return luaBytes.raise(L, `bad argument #${idx} to '?' (invalid option '${s}')`);
}

function optInt(L: LuaState, idx: number, min: number, max: number): number | null {
  if (lua.lua_type(L, idx) <= lua.LUA_TNIL) return null;
  const n = Math.trunc(lauxlib.luaL_checknumber(L, idx));
  if (n < min || n > max)
    luaBytes.raise(L, `bad argument #${idx} to '?' (expected integer between ${min} and ${max})`);
  return n;
}

/** Pushes a new cjson module table with its own configuration (cjson.new makes more). */
export function pushCjsonModule(L0: LuaState): void {
  const cfg = defaultConfig();
  const fns: Record<string, (L: LuaState) => number> = {
    encode: (L) =>
      guard(L, () => {
        if (lua.lua_gettop(L) !== 1) luaBytes.raise(L, "bad argument #1 to 'encode' (expected 1 argument)");
        luaBytes.push(L, encodeValue(L, cfg, 0, 1));
        return 1;
      }),
    decode: (L) =>
      guard(L, () => {
        if (lua.lua_gettop(L) !== 1) luaBytes.raise(L, "bad argument #1 to 'decode' (expected 1 argument)");
        const s = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 1));
        new JsonDecoder(s, cfg, L).document();
        return 1;
      }),
    encode_number_precision: (L) => {
      const n = optInt(L, 1, 1, 14);
      if (n !== null) cfg.precision = n;
      lua.lua_pushnumber(L, cfg.precision);
      return 1;
    },
    encode_max_depth: (L) => {
      const n = optInt(L, 1, 1, 2147483647);
      if (n !== null) cfg.encodeMaxDepth = n;
      lua.lua_pushnumber(L, cfg.encodeMaxDepth);
      return 1;
    },
    decode_max_depth: (L) => {
      const n = optInt(L, 1, 1, 2147483647);
      if (n !== null) cfg.decodeMaxDepth = n;
      lua.lua_pushnumber(L, cfg.decodeMaxDepth);
      return 1;
    },
    encode_sparse_array: (L) => {
      const conv = optBool(L, 1);
      const ratio = optInt(L, 2, 0, 2147483647);
      const safe = optInt(L, 3, 0, 2147483647);
      if (conv !== null) cfg.sparseConvert = conv;
      if (ratio !== null) cfg.sparseRatio = ratio;
      if (safe !== null) cfg.sparseSafe = safe;
      lua.lua_pushboolean(L, cfg.sparseConvert);
      lua.lua_pushnumber(L, cfg.sparseRatio);
      lua.lua_pushnumber(L, cfg.sparseSafe);
      return 3;
    },
    encode_keep_buffer: (L) => {
      const b = optBool(L, 1);
      if (b !== null) cfg.keepBuffer = b;
      lua.lua_pushboolean(L, cfg.keepBuffer);
      return 1;
    },
    encode_invalid_numbers: (L) => {
      if (lua.lua_type(L, 1) > lua.LUA_TNIL && luaBytes.get(L, 1) === "null")
        cfg.encodeInvalidNumbers = "null";
      else {
        const b = optBool(L, 1);
        if (b !== null) cfg.encodeInvalidNumbers = b;
      }
      if (cfg.encodeInvalidNumbers === "null") luaBytes.push(L, "null");
      else lua.lua_pushboolean(L, cfg.encodeInvalidNumbers);
      return 1;
    },
    decode_invalid_numbers: (L) => {
      const b = optBool(L, 1);
      if (b !== null) cfg.decodeInvalidNumbers = b;
      lua.lua_pushboolean(L, cfg.decodeInvalidNumbers);
      return 1;
    },
    new: (L) => {
      pushCjsonModule(L);
      return 1;
    },
  };
  lua.lua_createtable(L0, 0, 14);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushcfunction(L0, fn);
    lua.lua_setfield(L0, -2, name);
  }
  lua.lua_pushlightuserdata(L0, JSON_NULL);
  lua.lua_setfield(L0, -2, "null");
  luaBytes.push(L0, "cjson");
  lua.lua_setfield(L0, -2, "_NAME");
  luaBytes.push(L0, "2.1.0");
  lua.lua_setfield(L0, -2, "_VERSION");
}
