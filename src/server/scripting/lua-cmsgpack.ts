import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/** 2^63, the bound of C's long long. */
const TWO_63 = 2 ** 63;

/**
 * The `cmsgpack` library Redis bundles (lua_cmsgpack 0.4): pack/unpack/unpack_one/unpack_limit with its
 * encoding choices — integers in the smallest form, floats as float32 when exact, tables as arrays when
 * their keys are exactly 1..n, nesting past 16 levels as nil — and its error texts.
 */

const MAX_NESTING = 16;

function isArray(L: LuaState, idx: number): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
      lua.lua_pop(L, 1);
      return false;
    }
    const n = lua.lua_tonumber(L, -1);
    if (n <= 0 || !Number.isInteger(n) || n > 2147483647) {
      lua.lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  return max === count;
}

class Encoder {
  out: number[] = [];

  private u(n: number, bytes: number): void {
    for (let i = bytes - 1; i >= 0; i--) this.out.push(Number((BigInt(n) >> BigInt(i * 8)) & 0xffn));
  }

  private big(v: bigint, bytes: number): void {
    for (let i = bytes - 1; i >= 0; i--) this.out.push(Number((v >> BigInt(i * 8)) & 0xffn));
  }

  integer(n: number): void {
    if (n >= 0) {
      if (n <= 127) this.out.push(n);
      else if (n <= 0xff) this.out.push(0xcc, n);
      else if (n <= 0xffff) {
        this.out.push(0xcd);
        this.u(n, 2);
      } else if (n <= 0xffffffff) {
        this.out.push(0xce);
        this.u(n, 4);
      } else {
        this.out.push(0xcf);
        this.big(BigInt.asUintN(64, BigInt(n)), 8);
      }
    } else if (n >= -32) this.out.push(n & 0xff);
    else if (n >= -128) this.out.push(0xd0, n & 0xff);
    else if (n >= -32768) {
      this.out.push(0xd1);
      this.big(BigInt.asUintN(16, BigInt(n)), 2);
    } else if (n >= -2147483648) {
      this.out.push(0xd2);
      this.big(BigInt.asUintN(32, BigInt(n)), 4);
    } else {
      this.out.push(0xd3);
      this.big(BigInt.asUintN(64, BigInt(n)), 8);
    }
  }

  number(n: number): void {
    if (Number.isFinite(n) && Number.isInteger(n) && n >= -TWO_63 && n < TWO_63) {
      this.integer(n);
      return;
    }
    const f = Math.fround(n);
    const b = Buffer.alloc(8);
    if (f === n || Number.isNaN(n)) {
      this.out.push(0xca);
      b.writeFloatBE(n);
      for (let i = 0; i < 4; i++) this.out.push(b[i]);
    } else {
      this.out.push(0xcb);
      b.writeDoubleBE(n);
      for (let i = 0; i < 8; i++) this.out.push(b[i]);
    }
  }

  bytes(s: string): void {
    const n = s.length;
    if (n < 32) this.out.push(0xa0 | n);
    else if (n <= 0xff) this.out.push(0xd9, n);
    else if (n <= 0xffff) {
      this.out.push(0xda);
      this.u(n, 2);
    } else {
      this.out.push(0xdb);
      this.u(n, 4);
    }
    for (let i = 0; i < n; i++) this.out.push(s.charCodeAt(i));
  }

  value(L: LuaState, idx: number, level: number): void {
    let t = lua.lua_type(L, idx);
    if (t === lua.LUA_TTABLE && level === MAX_NESTING) t = lua.LUA_TNIL;
    switch (t) {
      case lua.LUA_TSTRING:
        this.bytes(luaBytes.get(L, idx)!);
        return;
      case lua.LUA_TBOOLEAN:
        this.out.push(lua.lua_toboolean(L, idx) ? 0xc3 : 0xc2);
        return;
      case lua.LUA_TNUMBER:
        this.number(lua.lua_tonumber(L, idx));
        return;
      case lua.LUA_TTABLE:
        this.table(L, lua.lua_absindex(L, idx), level);
        return;
      default:
        this.out.push(0xc0);
    }
  }

  private table(L: LuaState, t: number, level: number): void {
    lauxlib.luaL_checkstack(L, 4, "");
    if (isArray(L, t)) {
      const len = lua.lua_rawlen(L, t);
      if (len <= 15) this.out.push(0x90 | len);
      else if (len <= 0xffff) {
        this.out.push(0xdc);
        this.u(len, 2);
      } else {
        this.out.push(0xdd);
        this.u(len, 4);
      }
      for (let i = 1; i <= len; i++) {
        lua.lua_rawgeti(L, t, i);
        this.value(L, lua.lua_gettop(L), level + 1);
        lua.lua_pop(L, 1);
      }
      return;
    }
    let n = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t)) {
      lua.lua_pop(L, 1);
      n++;
    }
    if (n <= 15) this.out.push(0x80 | n);
    else if (n <= 0xffff) {
      this.out.push(0xde);
      this.u(n, 2);
    } else {
      this.out.push(0xdf);
      this.u(n, 4);
    }
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t)) {
      const top = lua.lua_gettop(L);
      this.value(L, top - 1, level + 1);
      this.value(L, top, level + 1);
      lua.lua_pop(L, 1);
    }
  }
}

class Cursor {
  constructor(
    readonly s: string,
    public p: number,
  ) {}
  err: "eof" | "badfmt" | null = null;
}

function need(c: Cursor, n: number): boolean {
  if (c.s.length - c.p < n) {
    c.err = "eof";
    return false;
  }
  return true;
}

function readUint(c: Cursor, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(c.s.charCodeAt(c.p + i));
  c.p += n;
  return v;
}

/** Decodes one object and pushes it (sets c.err on failure; the caller raises). */
function decode(L: LuaState, c: Cursor): void {
  lauxlib.luaL_checkstack(L, 3, "");
  if (!need(c, 1)) return;
  const b = c.s.charCodeAt(c.p);
  const str = (lenBytes: number) => {
    c.p++;
    if (!need(c, lenBytes)) return;
    const n = Number(readUint(c, lenBytes));
    if (!need(c, n)) return;
    luaBytes.push(L, c.s.slice(c.p, c.p + n));
    c.p += n;
  };
  const arr = (n: number) => {
    lua.lua_createtable(L, 0, 0);
    for (let i = 1; i <= n; i++) {
      decode(L, c);
      if (c.err) return;
      lua.lua_rawseti(L, -2, i);
    }
  };
  const map = (n: number) => {
    lua.lua_createtable(L, 0, 0);
    for (let i = 0; i < n; i++) {
      decode(L, c);
      if (c.err) return;
      decode(L, c);
      if (c.err) return;
      lua.lua_settable(L, -3);
    }
  };
  if (b <= 0x7f) {
    lua.lua_pushnumber(L, b);
    c.p++;
  } else if (b >= 0xe0) {
    lua.lua_pushnumber(L, b - 256);
    c.p++;
  } else if ((b & 0xe0) === 0xa0) {
    c.p++;
    const n = b & 0x1f;
    if (!need(c, n)) return;
    luaBytes.push(L, c.s.slice(c.p, c.p + n));
    c.p += n;
  } else if ((b & 0xf0) === 0x90) {
    c.p++;
    arr(b & 0x0f);
  } else if ((b & 0xf0) === 0x80) {
    c.p++;
    map(b & 0x0f);
  } else {
    switch (b) {
      case 0xc0:
        c.p++;
        lua.lua_pushnil(L);
        return;
      case 0xc2:
      case 0xc3:
        c.p++;
        lua.lua_pushboolean(L, b === 0xc3);
        return;
      case 0xca:
      case 0xcb: {
        const n = b === 0xca ? 4 : 8;
        if (!need(c, n + 1)) return;
        const buf = Buffer.from(c.s.slice(c.p + 1, c.p + 1 + n), "latin1");
        lua.lua_pushnumber(L, n === 4 ? buf.readFloatBE() : buf.readDoubleBE());
        c.p += n + 1;
        return;
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf: {
        const n = 1 << (b - 0xcc);
        if (!need(c, n + 1)) return;
        c.p++;
        lua.lua_pushnumber(L, Number(readUint(c, n)));
        return;
      }
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const n = 1 << (b - 0xd0);
        if (!need(c, n + 1)) return;
        c.p++;
        lua.lua_pushnumber(L, Number(BigInt.asIntN(n * 8, readUint(c, n))));
        return;
      }
      case 0xd9:
        str(1);
        return;
      case 0xda:
        str(2);
        return;
      case 0xdb:
        str(4);
        return;
      case 0xdc:
      case 0xdd:
      case 0xde:
      case 0xdf: {
        const lenBytes = b === 0xdc || b === 0xde ? 2 : 4;
        if (!need(c, lenBytes + 1)) return;
        c.p++;
        const n = Number(readUint(c, lenBytes));
        if (b <= 0xdd) arr(n);
        else map(n);
        return;
      }
      default:
        c.err = "badfmt";
    }
  }
}

function unpackFull(L: LuaState, limitIn: number, offset: number): number {
  const s = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 1));
  const decodeAll = limitIn === 0 && offset === 0;
  if (offset < 0 || limitIn < 0) {
    return luaBytes.raise(L, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  }
  if (offset > s.length)
    return luaBytes.raise(L, `Start offset ${offset} greater than input length ${s.length}.`);
  const limit = decodeAll ? Number.MAX_SAFE_INTEGER : limitIn;
  const c = new Cursor(s, offset);
  let cnt = 0;
  for (; c.p < s.length && cnt < limit; cnt++) {
    decode(L, c);
    if (c.err === "eof") return luaBytes.raise(L, "Missing bytes in input.");
    if (c.err === "badfmt") return luaBytes.raise(L, "Bad data format in input.");
  }
  if (!decodeAll) {
    lua.lua_pushnumber(L, c.p === s.length ? -1 : c.p);
    lua.lua_insert(L, 2);
    cnt++;
  }
  return cnt;
}

/** Pushes the cmsgpack module table. */
export function pushCmsgpackModule(L: LuaState): void {
  const fns: Record<string, (L: LuaState) => number> = {
    pack: (L2) => {
      const n = lua.lua_gettop(L2);
      if (n === 0) lauxlib.luaL_argerror(L2, 0, "MessagePack pack needs input.");
      const enc = new Encoder();
      for (let i = 1; i <= n; i++) enc.value(L2, i, 0);
      lua.lua_pushstring(L2, Uint8Array.from(enc.out));
      return 1;
    },
    unpack: (L2) => unpackFull(L2, 0, 0),
    unpack_one: (L2) => {
      const offset = Math.trunc(lauxlib.luaL_optnumber(L2, 2, 0));
      lua.lua_settop(L2, 1);
      return unpackFull(L2, 1, offset);
    },
    unpack_limit: (L2) => {
      const limit = Math.trunc(lauxlib.luaL_checknumber(L2, 2));
      const offset = Math.trunc(lauxlib.luaL_optnumber(L2, 3, 0));
      lua.lua_settop(L2, 1);
      return unpackFull(L2, limit, offset);
    },
  };
  lua.lua_createtable(L, 0, 8);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
  for (const [k, v] of [
    ["_NAME", "cmsgpack"],
    ["_VERSION", "lua-cmsgpack 0.4.0"],
    ["_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"],
    ["_DESCRIPTION", "MessagePack C implementation for Lua"],
  ]) {
    luaBytes.push(L, v);
    lua.lua_setfield(L, -2, k);
  }
}
