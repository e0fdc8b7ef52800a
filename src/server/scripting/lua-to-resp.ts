import type { ReplyWriter } from "../../resp/reply-writer.js";
import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/** 2^63, the bound of C's long long. */
const TWO_63 = 2 ** 63;

/**
 * A script's return value written as the caller's reply, as Redis's luaReplyToRedisReply: strings →
 * bulk, numbers → integers truncated toward zero, true → 1 (RESP2 scripts) or a boolean, false/nil →
 * null, tables: {err=...} → error, {ok=...} → status, {double=n}, {big_number=s}, {verbatim_string=...},
 * {map=...}, {set=...}, otherwise an array cut at the first nil. `scriptResp` is the protocol the script
 * chose with redis.setresp (booleans depend on it); the caller's own protocol picks the bytes.
 */
export function luaToResp(L: LuaState, idx: number, out: ReplyWriter, scriptResp: 2 | 3): void {
  const i = lua.lua_absindex(L, idx);
  switch (lua.lua_type(L, i)) {
    case lua.LUA_TSTRING:
      out.bulk(luaBytes.get(L, i)!);
      return;
    case lua.LUA_TBOOLEAN:
      if (scriptResp === 2) {
        if (lua.lua_toboolean(L, i)) out.integer(1);
        else out.nullBulk();
      } else out.bool(lua.lua_toboolean(L, i));
      return;
    case lua.LUA_TNUMBER:
      out.integer(toLongLong(lua.lua_tonumber(L, i)));
      return;
    case lua.LUA_TTABLE:
      tableToResp(L, i, out, scriptResp);
      return;
    default:
      out.nullBulk();
  }
}

/** C's (long long) cast on x86: truncation, and LLONG_MIN for NaN and out-of-range values. */
function toLongLong(x: number): number | bigint {
  if (Number.isNaN(x) || x >= TWO_63 || x < -TWO_63) return -9223372036854775808n;
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return Object.is(t, -0) ? 0 : t;
  return BigInt(t);
}

function rawField(L: LuaState, t: number, name: string): number {
  luaBytes.push(L, name);
  return lua.lua_rawget(L, t);
}

function tableToResp(L: LuaState, t: number, out: ReplyWriter, scriptResp: 2 | 3): void {
  lauxlib.luaL_checkstack(L, 4, "");
  if (rawField(L, t, "err") === lua.LUA_TSTRING) {
    const msg = luaBytes.get(L, -1)!;
    lua.lua_pop(L, 1);
    out.error(msg);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, t, "ok") === lua.LUA_TSTRING) {
    out.simple(luaBytes.get(L, -1)!.replace(/[\r\n]/g, " "));
    lua.lua_pop(L, 1);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, t, "double") === lua.LUA_TNUMBER) {
    out.double(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 1);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, t, "big_number") === lua.LUA_TSTRING) {
    const s = luaBytes.get(L, -1)!.replace(/[\r\n]/g, " ");
    lua.lua_pop(L, 1);
    if (out.proto === 3) out.raw("(" + s + "\r\n");
    else out.bulk(s);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, t, "verbatim_string") === lua.LUA_TTABLE) {
    const v = lua.lua_gettop(L);
    const hasFormat = rawField(L, v, "format") === lua.LUA_TSTRING;
    const format = hasFormat ? luaBytes.get(L, -1)! : "";
    const hasString = rawField(L, v, "string") === lua.LUA_TSTRING;
    const str = hasString ? luaBytes.get(L, -1)! : "";
    lua.lua_pop(L, 3);
    if (hasFormat && hasString) {
      out.verbatim(str, format.slice(0, 3).padEnd(3, " "));
      return;
    }
  } else lua.lua_pop(L, 1);
  if (rawField(L, t, "map") === lua.LUA_TTABLE) {
    const m = lua.lua_gettop(L);
    let n = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, m)) {
      lua.lua_pop(L, 1);
      n++;
    }
    out.mapHeader(n);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, m)) {
      luaToResp(L, -2, out, scriptResp);
      luaToResp(L, -1, out, scriptResp);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, t, "set") === lua.LUA_TTABLE) {
    const s = lua.lua_gettop(L);
    let n = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, s)) {
      lua.lua_pop(L, 1);
      n++;
    }
    out.setHeader(n);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, s)) {
      lua.lua_pop(L, 1);
      luaToResp(L, -1, out, scriptResp);
    }
    lua.lua_pop(L, 1);
    return;
  }
  lua.lua_pop(L, 1);
  let n = 0;
  while (lua.lua_rawgeti(L, t, n + 1) !== lua.LUA_TNIL) {
    lua.lua_pop(L, 1);
    n++;
  }
  lua.lua_pop(L, 1);
  out.arrayHeader(n);
  for (let j = 1; j <= n; j++) {
    lua.lua_rawgeti(L, t, j);
    luaToResp(L, -1, out, scriptResp);
    lua.lua_pop(L, 1);
  }
}
