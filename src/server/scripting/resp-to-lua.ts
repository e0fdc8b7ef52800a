import { type LuaState, lauxlib, lua } from "fengari";
import { luaBytes } from "./lua-bytes.js";

/**
 * A command's reply (the RESP bytes the script's client received) turned into Lua values as Redis's
 * redisProtocolToLuaType does: integers → numbers, bulk → strings, null bulk/array → false (RESP2),
 * status → {ok=...}, error → {err=...}, arrays → tables; RESP3 maps → {map={...}}, sets → {set={k=true}},
 * null → nil, booleans, doubles → {double=n}, big numbers → {big_number=s}, verbatim →
 * {verbatim_string={format=..., string=...}}; attributes are skipped.
 */
export class RespToLua {
  private s = "";
  private p = 0;

  /** Pushes the reply in `s` (one complete reply, latin1). Returns true when it is an error reply. */
  push(L: LuaState, s: string): boolean {
    this.s = s;
    this.p = 0;
    const isError = s.charCodeAt(0) === 45; // '-'
    this.value(L);
    return isError;
  }

  private line(): string {
    const end = this.s.indexOf("\r\n", this.p);
    const out = this.s.slice(this.p + 1, end);
    this.p = end + 2;
    return out;
  }

  private value(L: LuaState | null): void {
    const type = this.s[this.p];
    const text = this.line();
    if (L !== null) lauxlib.luaL_checkstack(L, 4, "");
    switch (type) {
      case ":":
        if (L) lua.lua_pushnumber(L, Number(text));
        return;
      case "$":
      case "=": {
        const n = Number(text);
        if (n < 0) {
          if (L) lua.lua_pushboolean(L, false);
          return;
        }
        const body = this.s.slice(this.p, this.p + n);
        this.p += n + 2;
        if (!L) return;
        if (type === "$") luaBytes.push(L, body);
        else {
          lua.lua_createtable(L, 0, 1);
          lua.lua_createtable(L, 0, 2);
          luaBytes.push(L, body.slice(4));
          lua.lua_setfield(L, -2, "string");
          luaBytes.push(L, body.slice(0, 3));
          lua.lua_setfield(L, -2, "format");
          lua.lua_setfield(L, -2, "verbatim_string");
        }
        return;
      }
      case "+":
        if (L) {
          lua.lua_createtable(L, 0, 1);
          luaBytes.push(L, text);
          lua.lua_setfield(L, -2, "ok");
        }
        return;
      case "-":
        if (L) pushErrorTable(L, "-" + text, true);
        return;
      case "*":
      case ">": {
        const n = Number(text);
        if (n < 0) {
          if (L) lua.lua_pushboolean(L, false);
          return;
        }
        if (L) lua.lua_createtable(L, n, 0);
        for (let i = 1; i <= n; i++) {
          this.value(L);
          if (L) lua.lua_rawseti(L, -2, i);
        }
        return;
      }
      case "%":
      case "~": {
        const n = Number(text);
        if (L) {
          lua.lua_createtable(L, 0, 1);
          lua.lua_createtable(L, 0, n);
        }
        for (let i = 0; i < n; i++) {
          this.value(L);
          if (type === "%") this.value(L);
          else if (L) lua.lua_pushboolean(L, true);
          if (L) lua.lua_settable(L, -3);
        }
        if (L) lua.lua_setfield(L, -2, type === "%" ? "map" : "set");
        return;
      }
      case "|": {
        const n = Number(text);
        for (let i = 0; i < 2 * n; i++) this.value(null);
        this.value(L);
        return;
      }
      case "_":
        if (L) lua.lua_pushnil(L);
        return;
      case "#":
        if (L) lua.lua_pushboolean(L, text === "t");
        return;
      case ",":
        if (L) {
          lua.lua_createtable(L, 0, 1);
          lua.lua_pushnumber(L, parseRespDouble(text));
          lua.lua_setfield(L, -2, "double");
        }
        return;
      case "(":
        if (L) {
          lua.lua_createtable(L, 0, 1);
          luaBytes.push(L, text);
          lua.lua_setfield(L, -2, "big_number");
        }
        return;
      default:
        throw new Error(`unexpected reply type '${type}' in a script's command reply`);
    }
  }
}

function parseRespDouble(s: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  if (s === "nan" || s === "-nan") return Number.NaN;
  return Number(s);
}

/**
 * Redis's luaPushErrorBuff: "-CODE msg" keeps CODE, anything else gets "ERR "; trailing CR/LF trimmed;
 * pushes {err="CODE msg"} (plus ignore_error_stats_update when the error was already counted).
 */
export function pushErrorTable(L: LuaState, error: string, ignoreStats = false): void {
  let code = "ERR";
  let msg = error;
  if (error.startsWith("-")) {
    const sp = error.indexOf(" ");
    if (sp < 0) msg = error.slice(1);
    else {
      code = error.slice(1, sp);
      msg = error.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, "");
  lua.lua_createtable(L, 0, 2);
  luaBytes.push(L, `${code} ${msg}`);
  lua.lua_setfield(L, -2, "err");
  if (ignoreStats) {
    lua.lua_pushboolean(L, true);
    lua.lua_setfield(L, -2, "ignore_error_stats_update");
  }
}
