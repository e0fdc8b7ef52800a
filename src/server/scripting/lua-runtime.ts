import { createRequire } from "node:module";
import { luaNumberToString } from "./c-number-format.js";
import {
  type LuaDebug,
  type LuaJsFunction,
  type LuaState,
  lauxlib,
  lua,
  lualib,
  to_luastring,
} from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";
import { luaStringFormat } from "./lua-string-format.js";
import { Rand48 } from "./rand48.js";

/**
 * One Lua interpreter state set up as Redis 7.0 sets up its own (script_lua.c, eval.c): the base, table,
 * string, math libraries (plus coroutine, part of Lua 5.1's base library), Redis's globals sandbox, and
 * Lua 5.1's behaviour where scripts in the wild depend on it.
 *
 * Interpreter choice: fengari (Lua 5.3 written in JavaScript). Measured in-process on this project's
 * machine, a script calling a JS function 3 times: fengari 390k calls/s (311k with the count hook on),
 * wasmoon (Lua 5.4 in WebAssembly) 92k/s through its raw C API and 44k/s through its wrapper — crossing
 * into WebAssembly and copying strings costs more than fengari's slower interpreter loop for the short
 * scripts Redis users write. fengari is synchronous, binary-safe (strings are byte arrays) and its
 * count hook can yield, which lets a long script give the event loop back (see script-run.ts).
 *
 * Lua 5.1 vs 5.3 differences covered here, in Redis's direction:
 * - numbers: 5.1 has only doubles. Every numeral, tonumber() and string coercion yields a float here
 *   (fengari's integers are 32-bit and would overflow in `1000 * 3600 * 24 * 30`), and numbers print with
 *   "%.14g" as 5.1 does (10/2 → "5", not "5.0"; 1e15 → "1e+15"); math.floor/ceil return floats. Hex
 *   numerals keep their full value (0x100000000 is 2^32, not 0), strings convert as strtod reads them
 *   ("inf", "nan"), and tonumber(s, base) is strtoul's reading.
 * - unpack, loadstring, table.getn/setn/maxn/foreach/foreachi, math.mod/pow/ldexp/frexp/cosh/sinh/tanh/
 *   log10/atan2, string.gfind, gcinfo exist; 5.3-only names (rawlen, utf8, table.pack/unpack/move,
 *   string.pack/unpack, math.tointeger/type/ult/maxinteger/mininteger, coroutine.isyieldable) do not.
 * - string.format is 5.1's (see lua-string-format.ts); math.random is Redis's (rand48).
 * Left as 5.3: a non-integral number where a library wants an integer (string.sub(s, 1.5)) is an error
 * instead of being truncated; `#` on a table with holes may pick another border; setfenv/getfenv are
 * absent (Redis's 7.0 build lists them but its sandbox hides them from scripts too); table iteration
 * order (pairs over hash keys, so cjson.encode of an object) differs from Lua 5.1's.
 */

const requireCjs = createRequire(import.meta.url);

/** Installed once per process: the number model above, patched into fengari's conversion functions. */
const numberModel = { installed: false };

function installNumberModel(): void {
  if (numberModel.installed) return;
  numberModel.installed = true;
  const lobject = requireCjs("fengari/src/lobject.js");
  const lstring = requireCjs("fengari/src/lstring.js");
  const str2num = lobject.luaO_str2num;
  // Numerals, tonumber and string→number coercions: always a float, as in Lua 5.1.
  lobject.luaO_str2num = (
    s: Uint8Array,
    o: { ttisinteger(): boolean; setfltvalue(n: number): void; value: number },
  ) => {
    const n = str2num(s, o);
    if (n !== 0) {
      if (o.ttisinteger()) o.setfltvalue(hexNumeralValue(s) ?? o.value);
      return n;
    }
    // 5.1 converts strings with strtod, which also reads "inf", "infinity" and "nan" (5.3 refuses them):
    // tonumber(redis.call('ZSCORE', k, m)) of an infinite score is inf in Redis.
    const special = infOrNanValue(s);
    if (special === null) return 0;
    o.setfltvalue(special);
    return s.length + 1;
  };
  // Lua 5.1's wording of type errors: "attempt to index local 't' (a nil value)", where 5.3 says
  // "attempt to index a nil value (local 't')". fengari formats them through luaO_pushvfstring with one
  // cached format string, recognised here by identity.
  const typeError = to_luastring("attempt to %s a %s value%s", true);
  const typeError51 = to_luastring("attempt to %s %s '%s' (a %s value)", true);
  const pushv = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = (L: LuaState, fmt: Uint8Array, argp: Uint8Array[]) => {
    if (fmt === typeError && argp[2].length > 0) {
      const m = /^ \((\w+) '(.*)'\)$/s.exec(luaBytes.toLatin1(argp[2]));
      // 5.3's "constant" kind does not exist in 5.1, which names no variable then.
      if (m && m[1] === "constant") return pushv(L, fmt, [argp[0], argp[1], new Uint8Array(0)]);
      if (m)
        return pushv(L, typeError51, [
          argp[0],
          luaBytes.fromLatin1(m[1]),
          luaBytes.fromLatin1(m[2]),
          argp[1],
        ]);
    }
    return pushv(L, fmt, argp);
  };
  // Number → string in concatenation and lua_tolstring: "%.14g".
  lobject.luaO_tostring = (L: LuaState, obj: { value: number; setsvalue(ts: unknown): void }) => {
    obj.setsvalue(lstring.luaS_bless(L, luaBytes.fromLatin1(luaNumberToString(obj.value))));
  };
}

/**
 * The value of a hexadecimal integer numeral ("0x100000000", " -0xff ") as Lua 5.1 reads it, or null for
 * any other numeral. 5.1 converts numerals with C's strtod, so a hex integer is a double rounded from its
 * exact value; fengari (5.3) reads it as an integer wrapping around at 32 bits, which turns BullMQ's
 * `priority * 0x100000000` into 0. Only called on numerals fengari already accepted as integers, so the
 * characters are known to be spaces, one sign, "0x" and hex digits.
 */
function hexNumeralValue(s: Uint8Array): number | null {
  let i = 0;
  while (i < s.length && isLuaSpace(s[i])) i++;
  const negative = s[i] === 0x2d;
  if (negative || s[i] === 0x2b) i++;
  if (s[i] !== 0x30 || (s[i + 1] !== 0x78 && s[i + 1] !== 0x58)) return null;
  const start = i + 2;
  let end = start;
  while (end < s.length && isHexDigit(s[end])) end++;
  // BigInt → Number rounds to nearest, ties to even, as strtod does.
  const value = Number(BigInt(`0x${luaBytes.toLatin1(s.subarray(start, end))}`));
  return negative ? -value : value;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** strtod's reading of " -Infinity ", "nan", "NAN(123)" (any case, spaces around), or null. */
function infOrNanValue(s: Uint8Array): number | null {
  if (s.length > 64) return null;
  const m = /^[\t\n\v\f\r ]*([+-]?)(inf|infinity|nan(?:\([0-9a-z_]*\))?)[\t\n\v\f\r ]*$/i.exec(
    luaBytes.toLatin1(s),
  );
  if (m === null) return null;
  if (m[2].charAt(0).toLowerCase() === "n") return Number.NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}

/** C's isspace in the "C" locale, which Lua's numeral conversion uses. */
function isLuaSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Error text Redis raises when a script writes to a protected table. */
export const READONLY_TABLE_ERROR = "Attempt to modify a readonly table";

const HOOK_COUNT = 100000;

/** A table kept in the registry for reuse, and the length it was filled to. */
export interface ReusedArray {
  ref: number;
  size: number;
}

export class LuaRuntime {
  readonly L: LuaState;
  /** The raw globals table (registry reference); scripts only ever see the protected proxy. */
  private readonly rawGlobalsRef: number;
  private readonly globalsProxyRef: number;
  /** Proxies of protected tables → the table they stand for (rawget/rawset/next see through them). */
  private readonly protectedTables = new Map<unknown, number>();
  rand = new Rand48();
  /** The coroutine scripts run in (see ScriptingEngine.thread) and its registry reference. */
  thread: LuaState | null = null;
  threadRef = 0;
  /** Lua's own xpcall, kept before the sandbox: scripts run as xpcall(script, error handler). */
  readonly xpcallRef: number;
  /** The scripts' error handler (__redis__err__handler), set by the engine once the globals are made. */
  errHandlerRef = 0;
  /** The strings "KEYS" and "ARGV", made once: setting the globals then hashes no name per EVAL. */
  readonly keysNameRef: number;
  readonly argvNameRef: number;
  /** The tables EVAL last set as KEYS and ARGV (see ScriptingEngine.setEvalArray). */
  readonly keysArray: ReusedArray = { ref: 0, size: 0 };
  readonly argvArray: ReusedArray = { ref: 0, size: 0 };
  /** Called by the count hook (every HOOK_COUNT instructions) while a script runs. */
  onHook: ((L: LuaState) => void) | null = null;

  constructor(globalsSetup: (rt: LuaRuntime) => void) {
    installNumberModel();
    const L = lauxlib.luaL_newstate();
    this.L = L;
    for (const [name, open] of [
      ["_G", lualib.luaopen_base],
      ["table", lualib.luaopen_table],
      ["string", lualib.luaopen_string],
      ["math", lualib.luaopen_math],
      ["debug", lualib.luaopen_debug],
      ["coroutine", lualib.luaopen_coroutine],
    ] as const) {
      lauxlib.luaL_requiref(L, name, open, 1);
      lua.lua_pop(L, 1);
    }
    this.installCompat();
    lua.lua_getglobal(L, "xpcall");
    this.xpcallRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    this.rawGlobalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    luaBytes.push(L, "KEYS");
    this.keysNameRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    luaBytes.push(L, "ARGV");
    this.argvNameRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    globalsSetup(this);
    this.globalsProxyRef = this.protectGlobals();
  }

  // ─── Lua 5.1 compatibility ─────────────────────────────────────────────────────────────────────────

  private installCompat(): void {
    const L = this.L;
    const setIn = (table: string, name: string, fn: LuaJsFunction | null) => {
      lua.lua_getglobal(L, table);
      if (fn === null) lua.lua_pushnil(L);
      else lua.lua_pushcfunction(L, fn);
      lua.lua_setfield(L, -2, name);
      lua.lua_pop(L, 1);
    };
    const alias = (table: string, name: string, from: string) => {
      lua.lua_getglobal(L, table);
      lua.lua_getfield(L, -1, from);
      lua.lua_setfield(L, -2, name);
      lua.lua_pop(L, 1);
    };
    const setGlobal = (name: string, fn: LuaJsFunction | null) => {
      if (fn === null) lua.lua_pushnil(L);
      else lua.lua_pushcfunction(L, fn);
      lua.lua_setglobal(L, name);
    };
    for (const g of ["dofile", "loadfile", "print", "rawlen", "require", "package", "utf8", "os", "io"]) {
      setGlobal(g, null);
    }
    luaBytes.push(L, "Lua 5.1");
    lua.lua_setglobal(L, "_VERSION");
    setGlobal("tostring", luaToString);
    setGlobal("tonumber", luaToNumber);
    // Lua 5.1's error(): a number message gets the position too (5.3 adds it to strings only).
    setGlobal("error", (L2) => {
      const level = Math.trunc(lauxlib.luaL_optnumber(L2, 2, 1));
      lua.lua_settop(L2, 1);
      if (lua.lua_isstring(L2, 1) && level > 0) {
        lauxlib.luaL_where(L2, level);
        lua.lua_pushvalue(L2, 1);
        lua.lua_concat(L2, 2);
      }
      return lua.lua_error(L2);
    });
    // unpack and loadstring are table.unpack and load under their 5.1 names.
    lua.lua_getglobal(L, "table");
    lua.lua_getfield(L, -1, "unpack");
    lua.lua_setglobal(L, "unpack");
    lua.lua_pop(L, 1);
    lua.lua_getglobal(L, "load");
    lua.lua_setglobal(L, "loadstring");
    setGlobal("gcinfo", (L2) => {
      lua.lua_pushnumber(L2, Math.floor(process.memoryUsage().heapUsed / 1024));
      return 1;
    });
    for (const t of ["pack", "unpack", "move"]) setIn("table", t, null);
    setIn("table", "getn", (L2) => {
      lauxlib.luaL_checktype(L2, 1, lua.LUA_TTABLE);
      lua.lua_pushnumber(L2, lauxlib.luaL_len(L2, 1));
      return 1;
    });
    setIn("table", "setn", (L2) => luaBytes.raise(L2, "'setn' is obsolete"));
    setIn("table", "maxn", tableMaxn);
    setIn("table", "foreach", (L2) => tableForeach(L2, false));
    setIn("table", "foreachi", (L2) => tableForeach(L2, true));
    for (const t of ["pack", "unpack", "packsize"]) setIn("string", t, null);
    alias("string", "gfind", "gmatch");
    setIn("string", "format", luaStringFormat);
    for (const t of ["tointeger", "type", "ult", "maxinteger", "mininteger"]) setIn("math", t, null);
    setIn("coroutine", "isyieldable", null);
    const num1 = (f: (x: number) => number): LuaJsFunction => {
      return (L2) => {
        lua.lua_pushnumber(L2, f(lauxlib.luaL_checknumber(L2, 1)));
        return 1;
      };
    };
    setIn("math", "floor", num1(Math.floor));
    setIn("math", "ceil", num1(Math.ceil));
    setIn("math", "cosh", num1(Math.cosh));
    setIn("math", "sinh", num1(Math.sinh));
    setIn("math", "tanh", num1(Math.tanh));
    setIn("math", "log10", num1(Math.log10));
    setIn("math", "log", num1(Math.log));
    setIn("math", "abs", num1(Math.abs));
    setIn("math", "sqrt", num1(Math.sqrt));
    setIn("math", "exp", num1(Math.exp));
    setIn("math", "atan", num1(Math.atan));
    const num2 = (f: (x: number, y: number) => number): LuaJsFunction => {
      return (L2) => {
        lua.lua_pushnumber(L2, f(lauxlib.luaL_checknumber(L2, 1), lauxlib.luaL_checknumber(L2, 2)));
        return 1;
      };
    };
    const fmod = (x: number, y: number) => x % y; // C's fmod: the sign of the dividend
    setIn("math", "fmod", num2(fmod));
    setIn("math", "mod", num2(fmod));
    setIn("math", "pow", num2(Math.pow));
    setIn("math", "atan2", num2(Math.atan2));
    setIn("math", "ldexp", (L2) => {
      lua.lua_pushnumber(
        L2,
        lauxlib.luaL_checknumber(L2, 1) * 2 ** Math.trunc(lauxlib.luaL_checknumber(L2, 2)),
      );
      return 1;
    });
    setIn("math", "frexp", (L2) => {
      const [m, e] = frexp(lauxlib.luaL_checknumber(L2, 1));
      lua.lua_pushnumber(L2, m);
      lua.lua_pushnumber(L2, e);
      return 2;
    });
    setIn("math", "modf", (L2) => {
      const x = lauxlib.luaL_checknumber(L2, 1);
      const ip = x >= 0 ? Math.floor(x) : Math.ceil(x);
      lua.lua_pushnumber(L2, ip);
      lua.lua_pushnumber(L2, Number.isFinite(x) ? x - ip : 0);
      return 2;
    });
    // Redis's math.random / math.randomseed (rand48, the same numbers on every platform).
    const RAND_MAX = 2147483647;
    setIn("math", "random", (L2) => {
      const r = (this.rand.next() % RAND_MAX) / RAND_MAX;
      const n = lua.lua_gettop(L2);
      if (n === 0) lua.lua_pushnumber(L2, r);
      else if (n === 1) {
        const u = Math.trunc(lauxlib.luaL_checknumber(L2, 1));
        if (u < 1) lauxlib.luaL_argerror(L2, 1, "interval is empty");
        lua.lua_pushnumber(L2, Math.floor(r * u) + 1);
      } else if (n === 2) {
        const l = Math.trunc(lauxlib.luaL_checknumber(L2, 1));
        const u = Math.trunc(lauxlib.luaL_checknumber(L2, 2));
        if (l > u) lauxlib.luaL_argerror(L2, 2, "interval is empty");
        lua.lua_pushnumber(L2, Math.floor(r * (u - l + 1)) + l);
      } else luaBytes.raise(L2, "wrong number of arguments");
      return 1;
    });
    setIn("math", "randomseed", (L2) => {
      this.rand.seed(lauxlib.luaL_checknumber(L2, 1));
      return 0;
    });
  }

  // ─── the sandbox ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Redis 7.0 makes the globals and every table reachable from them read-only: writing anywhere in them
   * fails with "Attempt to modify a readonly table", reading a global that does not exist fails with
   * "Script attempted to access nonexistent global variable". fengari has no read-only tables, so each
   * protected table is replaced by an empty proxy whose metatable reads through to it (__index) and
   * refuses writes (__newindex); pairs, next, rawget and rawset look through proxies.
   * Returns the registry reference of the globals proxy, which becomes the globals of every chunk.
   */
  private protectGlobals(): number {
    const L = this.L;
    // rawset/rawget/next/pairs that see through proxies.
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.rawGlobalsRef);
    lua.lua_getfield(L, -1, "next");
    const nextRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushcfunction(L, (L2) => {
      lauxlib.luaL_checktype(L2, 1, lua.LUA_TTABLE);
      if (this.protectedTables.has(lua.lua_topointer(L2, 1))) {
        // Raised from inside rawset in Redis: the message carries no position.
        luaBytes.push(L2, READONLY_TABLE_ERROR);
        lua.lua_error(L2);
      }
      lauxlib.luaL_checkany(L2, 2);
      lauxlib.luaL_checkany(L2, 3);
      lua.lua_settop(L2, 3);
      lua.lua_rawset(L2, 1);
      return 1;
    });
    lua.lua_setfield(L, -2, "rawset");
    lua.lua_pushcfunction(L, (L2) => {
      lauxlib.luaL_checktype(L2, 1, lua.LUA_TTABLE);
      lauxlib.luaL_checkany(L2, 2);
      this.seeThrough(L2, 1);
      lua.lua_settop(L2, 2);
      lua.lua_rawget(L2, 1);
      return 1;
    });
    lua.lua_setfield(L, -2, "rawget");
    const protectedNext: LuaJsFunction = (L2) => {
      lauxlib.luaL_checktype(L2, 1, lua.LUA_TTABLE);
      this.seeThrough(L2, 1);
      lua.lua_settop(L2, 2);
      if (lua.lua_next(L2, 1)) return 2;
      lua.lua_pushnil(L2);
      return 1;
    };
    lua.lua_pushcfunction(L, protectedNext);
    lua.lua_setfield(L, -2, "next");
    lua.lua_pop(L, 1);
    lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, nextRef);

    // Every library table reachable from the globals gets a proxy (one level: Redis's libraries are flat).
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.rawGlobalsRef);
    const libs: string[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2)) {
      const key = luaBytes.get(L, -2);
      if (lua.lua_type(L, -1) === lua.LUA_TTABLE && key !== "_G" && key !== "KEYS" && key !== "ARGV") {
        libs.push(key!);
      }
      lua.lua_pop(L, 1);
    }
    for (const name of libs) {
      lua.lua_getfield(L, -1, name);
      this.pushProxy(L, lua.lua_gettop(L), null);
      lua.lua_setfield(L, -3, name);
      lua.lua_pop(L, 1);
    }
    // The string metatable keeps pointing at the real string table (for s:upper()).
    // The globals: reading a missing name is an error, as Redis's luaProtectedTableError.
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushcfunction(L, (L2) => {
      const name = luaBytes.get(L2, 2) ?? "?";
      return luaBytes.raise(L2, `Script attempted to access nonexistent global variable '${name}'`);
    });
    lua.lua_setfield(L, -2, "__index");
    lua.lua_setmetatable(L, -2);
    this.pushProxy(L, lua.lua_gettop(L), protectedNext);
    // _G is the proxy, and so are the globals of every chunk loaded from now on (loadstring included).
    lua.lua_pushvalue(L, -1);
    lua.lua_setfield(L, -3, "_G");
    lua.lua_pushvalue(L, -1);
    lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pop(L, 1);
    return ref;
  }

  /** Pushes a read-only proxy of the table at `idx`. */
  private pushProxy(L: LuaState, idx: number, protectedNext: LuaJsFunction | null): void {
    lua.lua_createtable(L, 0, 0);
    const proxyIdx = lua.lua_gettop(L);
    lua.lua_createtable(L, 0, 4);
    lua.lua_pushvalue(L, idx);
    lua.lua_setfield(L, -2, "__index");
    lua.lua_pushcfunction(L, (L2) => luaBytes.raise(L2, READONLY_TABLE_ERROR));
    lua.lua_setfield(L, -2, "__newindex");
    // pairs(proxy) iterates the real table.
    lua.lua_pushvalue(L, idx);
    lua.lua_pushcclosure(
      L,
      (L2) => {
        if (protectedNext) lua.lua_pushcfunction(L2, protectedNext);
        else lua.lua_getglobal(L2, "next");
        lua.lua_pushvalue(L2, lua.lua_upvalueindex(1));
        lua.lua_pushnil(L2);
        return 3;
      },
      1,
    );
    lua.lua_setfield(L, -2, "__pairs");
    lua.lua_createtable(L, 0, 0);
    lua.lua_setfield(L, -2, "__metatable");
    lua.lua_setmetatable(L, proxyIdx);
    lua.lua_pushvalue(L, idx);
    this.protectedTables.set(lua.lua_topointer(L, proxyIdx), lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  }

  /** Replaces a proxy at `idx` by the table it stands for. */
  private seeThrough(L: LuaState, idx: number): void {
    const ref = this.protectedTables.get(lua.lua_topointer(L, idx));
    if (ref === undefined) return;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    lua.lua_replace(L, idx);
  }

  // ─── helpers for the engine ────────────────────────────────────────────────────────────────────────

  /**
   * Sets a global bypassing the protection (KEYS/ARGV before each EVAL, as Redis lifts it briefly):
   * pushes the raw globals and the name at registry reference `nameRef`; the caller pushes the value,
   * then calls endRawGlobal.
   */
  beginRawGlobal(nameRef: number): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.rawGlobalsRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, nameRef);
  }

  endRawGlobal(): void {
    lua.lua_rawset(this.L, -3);
    lua.lua_pop(this.L, 1);
  }

  /** Pushes the raw globals table (for set-up code that defines globals). */
  pushRawGlobals(): void {
    lua.lua_rawgeti(this.L, lua.LUA_REGISTRYINDEX, this.rawGlobalsRef);
  }

  /**
   * Points the globals at another table for a while (a function library's load API), or back at the
   * real globals with null.
   */
  setGlobalsIndex(ref: number | null): void {
    const L = this.L;
    this.pushGlobals();
    lua.lua_getmetatable(L, -1);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref ?? this.rawGlobalsRef);
    lua.lua_setfield(L, -2, "__index");
    lua.lua_pop(L, 2);
  }

  /** Pushes the protected globals proxy. */
  pushGlobals(): void {
    lua.lua_rawgeti(this.L, lua.LUA_REGISTRYINDEX, this.globalsProxyRef);
  }

  /** Compiles a chunk; returns null and leaves nothing on the stack, or the error message. */
  load(L: LuaState, code: string, chunkName: string): string | null {
    const status = lauxlib.luaL_loadbuffer(L, luaBytes.fromLatin1(code), null, chunkName);
    if (status === lua.LUA_OK) return null;
    const msg = luaBytes.get(L, -1) ?? "unknown error";
    lua.lua_pop(L, 1);
    return msg;
  }

  /** Turns the count hook on for `T` (every HOOK_COUNT instructions call `onHook`). */
  setHook(T: LuaState, lineMode = false): void {
    lua.lua_sethook(
      T,
      (L2: LuaState, _ar: LuaDebug) => this.onHook?.(L2),
      lineMode ? lua.LUA_MASKLINE : lua.LUA_MASKCOUNT,
      lineMode ? 0 : HOOK_COUNT,
    );
  }

  clearHook(T: LuaState): void {
    lua.lua_sethook(T, null, 0, 0);
  }
}

// ─── library functions ──────────────────────────────────────────────────────────────────────────────

/** tostring with Lua 5.1's "%.14g" for numbers; everything else as luaL_tolstring. */
function luaToString(L: LuaState): number {
  lauxlib.luaL_checkany(L, 1);
  if (lua.lua_type(L, 1) === lua.LUA_TNUMBER && !hasToStringMeta(L)) {
    luaBytes.push(L, luaNumberToString(lua.lua_tonumber(L, 1)));
    return 1;
  }
  lauxlib.luaL_tolstring(L, 1);
  return 1;
}

/**
 * Lua 5.1's tonumber: base 10 is the ordinary conversion (numerals, hex, inf/nan as strtod reads them);
 * any other base reads the string with C's strtoul, so "0x" may prefix base-16 digits, a minus sign
 * negates modulo 2^64 and an overflow gives ULONG_MAX — where 5.3 wraps at fengari's 32-bit integers.
 */
function luaToNumber(L: LuaState): number {
  const base = Math.trunc(lauxlib.luaL_optnumber(L, 2, 10));
  if (base === 10) {
    lauxlib.luaL_checkany(L, 1);
    if (lua.lua_isnumber(L, 1)) lua.lua_pushnumber(L, lua.lua_tonumber(L, 1));
    else lua.lua_pushnil(L);
    return 1;
  }
  const s = lauxlib.luaL_checklstring(L, 1);
  if (base < 2 || base > 36) lauxlib.luaL_argerror(L, 2, "base out of range");
  const n = strtoulWhole(s, base);
  if (n === null) lua.lua_pushnil(L);
  else lua.lua_pushnumber(L, n);
  return 1;
}

const ULONG_MAX = (1n << 64n) - 1n;

/** strtoul(s, &end, base) as a double when it read at least one digit and only spaces follow, else null. */
function strtoulWhole(s: Uint8Array, base: number): number | null {
  // C strings end at the first NUL.
  let len = s.indexOf(0);
  if (len < 0) len = s.length;
  const digit = (c: number): number => {
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
    if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
    return 99;
  };
  let i = 0;
  while (i < len && isLuaSpace(s[i])) i++;
  const negative = s[i] === 0x2d;
  if (negative || s[i] === 0x2b) i++;
  if (base === 16 && s[i] === 0x30 && (s[i + 1] === 0x78 || s[i + 1] === 0x58) && digit(s[i + 2]) < 16) {
    i += 2;
  }
  const bigBase = BigInt(base);
  let acc = 0n;
  const start = i;
  while (i < len && digit(s[i]) < base) {
    if (acc <= ULONG_MAX) acc = acc * bigBase + BigInt(digit(s[i]));
    i++;
  }
  if (i === start) return null;
  while (i < len && isLuaSpace(s[i])) i++;
  if (i !== len) return null;
  if (acc > ULONG_MAX) return Number(ULONG_MAX);
  return Number(negative && acc !== 0n ? (1n << 64n) - acc : acc);
}

function hasToStringMeta(L: LuaState): boolean {
  if (!lua.lua_getmetatable(L, 1)) return false;
  lua.lua_pop(L, 1);
  return true;
}

function tableMaxn(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1)) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
      const v = lua.lua_tonumber(L, -1);
      if (v > max) max = v;
    }
  }
  lua.lua_pushnumber(L, max);
  return 1;
}

function tableForeach(L: LuaState, indexed: boolean): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
  if (indexed) {
    const n = lauxlib.luaL_len(L, 1);
    for (let i = 1; i <= n; i++) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushnumber(L, i);
      lua.lua_rawgeti(L, 1, i);
      lua.lua_call(L, 2, 1);
      if (lua.lua_type(L, -1) !== lua.LUA_TNIL) return 1;
      lua.lua_pop(L, 1);
    }
    return 0;
  }
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1)) {
    lua.lua_pushvalue(L, 2);
    lua.lua_pushvalue(L, -3);
    lua.lua_pushvalue(L, -3);
    lua.lua_call(L, 2, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNIL) return 1;
    lua.lua_pop(L, 2);
  }
  return 0;
}

/** C's frexp: x = m × 2^e with 0.5 ≤ |m| < 1. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * 2 ** -e;
  while (Math.abs(m) < 0.5) {
    m *= 2;
    e--;
  }
  while (Math.abs(m) >= 1) {
    m /= 2;
    e++;
  }
  return [m, e];
}

export { to_luastring };
