/**
 * The part of fengari's API (a Lua 5.3 VM written in JavaScript; the C API with the same names) that the
 * scripting engine uses. Lua strings are byte arrays (Uint8Array); JavaScript strings passed where a Lua
 * string is expected are UTF-8 encoded by fengari, so binary data always goes in as bytes.
 */
declare module "fengari" {
  export interface LuaState {
    readonly __luaStateBrand: unique symbol;
  }
  export type LuaString = Uint8Array;
  export type LuaJsFunction = (L: LuaState) => number;
  export interface LuaDebug {
    currentline: number;
    source: LuaString | null;
    short_src: LuaString | null;
    what: LuaString | null;
    name: LuaString | null;
  }
  type Str = LuaString | string;

  export const lua: {
    LUA_OK: number;
    LUA_YIELD: number;
    LUA_ERRRUN: number;
    LUA_ERRSYNTAX: number;
    LUA_ERRMEM: number;
    LUA_ERRERR: number;
    LUA_MULTRET: number;
    LUA_REGISTRYINDEX: number;
    LUA_RIDX_GLOBALS: number;
    LUA_TNONE: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TLIGHTUSERDATA: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    LUA_TFUNCTION: number;
    LUA_TUSERDATA: number;
    LUA_TTHREAD: number;
    LUA_MASKCOUNT: number;
    LUA_MASKLINE: number;
    lua_absindex(L: LuaState, idx: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_concat(L: LuaState, n: number): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, idx: number, k: Str): number;
    lua_getglobal(L: LuaState, name: Str): number;
    lua_getinfo(L: LuaState, what: Str, ar: LuaDebug): boolean;
    lua_getmetatable(L: LuaState, idx: number): boolean;
    lua_getstack(L: LuaState, level: number, ar: LuaDebug): boolean;
    lua_gettable(L: LuaState, idx: number): number;
    lua_gettop(L: LuaState): number;
    lua_insert(L: LuaState, idx: number): void;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_isnumber(L: LuaState, idx: number): boolean;
    lua_isstring(L: LuaState, idx: number): boolean;
    lua_isyieldable(L: LuaState): boolean;
    lua_newtable(L: LuaState): void;
    lua_newthread(L: LuaState): LuaState;
    lua_next(L: LuaState, idx: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean | number): void;
    lua_pushcclosure(L: LuaState, fn: LuaJsFunction, n: number): void;
    lua_pushcfunction(L: LuaState, fn: LuaJsFunction): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushlightuserdata(L: LuaState, p: unknown): void;
    lua_pushliteral(L: LuaState, s: string): void;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Str): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;
    lua_rawget(L: LuaState, idx: number): number;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_replace(L: LuaState, idx: number): void;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_setfield(L: LuaState, idx: number, k: Str): void;
    lua_setglobal(L: LuaState, name: Str): void;
    lua_sethook(
      L: LuaState,
      fn: ((L: LuaState, ar: LuaDebug) => void) | null,
      mask: number,
      count: number,
    ): void;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_settable(L: LuaState, idx: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_status(L: LuaState): number;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tolstring(L: LuaState, idx: number): LuaString | null;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_tonumberx(L: LuaState, idx: number): number | false;
    lua_topointer(L: LuaState, idx: number): unknown;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_type(L: LuaState, idx: number): number;
    lua_xmove(from: LuaState, to: LuaState, n: number): void;
    lua_yield(L: LuaState, n: number): number;
    lua_upvalueindex(i: number): number;
    lua_tojsstring(L: LuaState, idx: number): string;
  };

  export const lauxlib: {
    luaL_argerror(L: LuaState, arg: number, msg: Str): never;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): LuaString;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checkstack(L: LuaState, n: number, msg: Str | null): void;
    luaL_checktype(L: LuaState, arg: number, t: number): void;
    luaL_checkany(L: LuaState, arg: number): void;
    luaL_error(L: LuaState, fmt: Str, ...args: unknown[]): never;
    luaL_loadbuffer(L: LuaState, buff: LuaString, size: number | null, name: Str): number;
    luaL_newstate(): LuaState;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_optnumber(L: LuaState, arg: number, def: number): number;
    luaL_ref(L: LuaState, t: number): number;
    luaL_unref(L: LuaState, t: number, ref: number): void;
    luaL_requiref(L: LuaState, modname: Str, openf: LuaJsFunction, glb: number): void;
    luaL_tolstring(L: LuaState, idx: number): LuaString;
    luaL_where(L: LuaState, level: number): void;
    luaL_len(L: LuaState, idx: number): number;
    luaL_typename(L: LuaState, idx: number): LuaString;
  };

  export const lualib: {
    luaopen_base: LuaJsFunction;
    luaopen_table: LuaJsFunction;
    luaopen_string: LuaJsFunction;
    luaopen_math: LuaJsFunction;
    luaopen_debug: LuaJsFunction;
    luaopen_coroutine: LuaJsFunction;
  };

  export function to_luastring(s: string, cache?: boolean): LuaString;
  export function to_jsstring(s: LuaString): string;
}
