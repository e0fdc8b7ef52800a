import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/**
 * The `bit` library Redis bundles (LuaBitOp 1.0): 32-bit operations on numbers, results as signed 32-bit
 * integers. Arguments are normalised as LuaBitOp does — adding 2^52+2^51 and keeping the low 32 bits,
 * which rounds non-integers to nearest (half to even) and wraps out-of-range values.
 */

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

function tobit(L: LuaState, idx: number): number {
  f64[0] = lauxlib.luaL_checknumber(L, idx) + 6755399441055744.0;
  return i32[0];
}

function ret(L: LuaState, v: number): number {
  lua.lua_pushnumber(L, v | 0);
  return 1;
}

function variadic(op: (a: number, b: number) => number): (L: LuaState) => number {
  return (L) => {
    let acc = tobit(L, 1);
    const n = lua.lua_gettop(L);
    for (let i = 2; i <= n; i++) acc = op(acc, tobit(L, i));
    return ret(L, acc);
  };
}

function shift(op: (a: number, n: number) => number): (L: LuaState) => number {
  return (L) => ret(L, op(tobit(L, 1), tobit(L, 2) & 31));
}

/** Pushes the bit module table. */
export function pushBitModule(L: LuaState): void {
  const fns: Record<string, (L: LuaState) => number> = {
    tobit: (L2) => ret(L2, tobit(L2, 1)),
    bnot: (L2) => ret(L2, ~tobit(L2, 1)),
    band: variadic((a, b) => a & b),
    bor: variadic((a, b) => a | b),
    bxor: variadic((a, b) => a ^ b),
    lshift: shift((a, n) => a << n),
    rshift: shift((a, n) => a >>> n),
    arshift: shift((a, n) => a >> n),
    rol: shift((a, n) => (a << n) | (a >>> (32 - n))),
    ror: shift((a, n) => (a >>> n) | (a << (32 - n))),
    bswap: (L2) => {
      const b = tobit(L2, 1);
      return ret(L2, ((b >>> 24) & 0xff) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
    },
    tohex: (L2) => {
      const b = tobit(L2, 1);
      let n = lua.lua_type(L2, 2) <= lua.LUA_TNIL ? 8 : tobit(L2, 2);
      const upper = n < 0;
      if (upper) n = -n;
      if (n > 8) n = 8;
      let s = (b >>> 0)
        .toString(16)
        .padStart(8, "0")
        .slice(8 - n);
      if (upper) s = s.toUpperCase();
      luaBytes.push(L2, s);
      return 1;
    },
  };
  lua.lua_createtable(L, 0, 12);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, name);
  }
}
