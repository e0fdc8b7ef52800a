import { createRequire } from "node:module";
import "../../resp/buffer-internals.js";
import { type LuaState, type LuaString, lauxlib, lua } from "./fengari-vm.js";

/** fengari's internals for pushing a string without the copy lua_pushstring makes. */
const internals = (() => {
  const require = createRequire(import.meta.url);
  const lobject = require("fengari/src/lobject.js");
  const lstring = require("fengari/src/lstring.js");
  return {
    pushsvalue2s: lobject.pushsvalue2s as (L: LuaState, ts: unknown) => void,
    luaS_bless: lstring.luaS_bless as (L: LuaState, s: Uint8Array) => unknown,
  };
})();

/** See luaBytes.toLatin1Cached. */
const JS_STRING = Symbol("latin1");
type TaggedBytes = LuaString & { [JS_STRING]?: string };

/** Short Lua strings whose latin1 string is kept with them (constants, command names, keys). */
const TAG_MAX_LENGTH = 64;

/**
 * Lua strings are byte arrays in fengari; Tandem keeps keys and values as latin1 strings (one char per
 * byte). These convert between the two without any text encoding, so binary values stay intact.
 */
export const luaBytes = {
  /** Lua bytes → latin1 string. */
  toLatin1(u8: LuaString): string {
    const n = u8.length;
    if (n < 48) {
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode(u8[i]);
      return s;
    }
    return Buffer.from(u8.buffer, u8.byteOffset, n).latin1Slice(0, n);
  },

  /**
   * toLatin1, remembered on the byte array: Lua strings never change, so a script's constants ('INCR')
   * are converted once, and every later call gets the same JS string, its hash already computed for the
   * command table and keyspace lookups. Only short strings are kept (a value's bytes are not doubled).
   */
  toLatin1Cached(u8: LuaString): string {
    const known = (u8 as TaggedBytes)[JS_STRING];
    if (known !== undefined) return known;
    const s = luaBytes.toLatin1(u8);
    if (u8.length <= TAG_MAX_LENGTH) (u8 as TaggedBytes)[JS_STRING] = s;
    return s;
  },

  /**
   * fromLatin1, the array remembering `s` (see toLatin1Cached): a key made into a Lua string for KEYS
   * comes back from redis.call as the caller's own string.
   */
  fromLatin1Tagged(s: string): LuaString {
    const u8 = luaBytes.fromLatin1(s);
    (u8 as TaggedBytes)[JS_STRING] = s;
    return u8;
  },

  /** latin1 string → Lua bytes. */
  fromLatin1(s: string): LuaString {
    const n = s.length;
    if (n < 48) {
      const u8 = new Uint8Array(n);
      for (let i = 0; i < n; i++) u8[i] = s.charCodeAt(i);
      return u8;
    }
    return Buffer.from(s, "latin1");
  },

  push(L: LuaState, s: string): void {
    lua.lua_pushstring(L, luaBytes.fromLatin1(s));
  },

  /**
   * Pushes `u8` as a Lua string that takes ownership of the array (lua_pushstring would copy it): the
   * caller must not touch it afterwards. The stack must have room (as after lua_checkstack).
   */
  pushOwned(L: LuaState, u8: Uint8Array): void {
    internals.pushsvalue2s(L, internals.luaS_bless(L, u8));
  },

  /** Raises a Lua error with the message as is (no format directives), prefixed with the position. */
  raise(L: LuaState, message: string): never {
    lauxlib.luaL_where(L, 1);
    luaBytes.push(L, message);
    lua.lua_concat(L, 2);
    return lua.lua_error(L);
  },

  /** The value at idx as a latin1 string (numbers converted by Lua), or null. */
  get(L: LuaState, idx: number): string | null {
    const u8 = lua.lua_tolstring(L, idx);
    return u8 === null ? null : luaBytes.toLatin1(u8);
  },
};
