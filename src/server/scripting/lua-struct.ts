import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/**
 * The `struct` library Redis bundles (Roberto Ierusalimschy's struct.c): pack/unpack/size of binary
 * records with C sizes of a 64-bit build (short 2, int 4, long and size_t 8), '<' '>' '=' byte order,
 * '!n' alignment, 'c' fixed strings ('c0' takes the previous number as length), 's' zero-terminated.
 */

const MAXINTSIZE = 32;
const MAXALIGN = 8;

class StructError extends Error {}

interface Header {
  little: boolean;
  align: number;
}

class FormatReader {
  i = 0;
  constructor(readonly fmt: string) {}

  getnum(df: number): number {
    const f = this.fmt;
    if (!(this.i < f.length && f[this.i] >= "0" && f[this.i] <= "9")) return df;
    let a = 0;
    do {
      if (a > (2147483647 - 9) / 10) throw new StructError("integral size overflow");
      a = a * 10 + (f.charCodeAt(this.i++) - 48);
    } while (this.i < f.length && f[this.i] >= "0" && f[this.i] <= "9");
    return a;
  }

  optsize(opt: string): number {
    switch (opt) {
      case "B":
      case "b":
        return 1;
      case "H":
      case "h":
        return 2;
      case "L":
      case "l":
      case "T":
        return 8;
      case "f":
        return 4;
      case "d":
        return 8;
      case "x":
        return 1;
      case "c":
        return this.getnum(1);
      case "i":
      case "I": {
        const sz = this.getnum(4);
        if (sz > MAXINTSIZE)
          throw new StructError(`integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
        return sz;
      }
      default:
        return 0;
    }
  }

  /** Handles the header options (byte order, alignment); true if `opt` was one. */
  controloptions(opt: string, h: Header, argName: string): boolean {
    switch (opt) {
      case " ":
        return true;
      case ">":
        h.little = false;
        return true;
      case "<":
      case "=":
        h.little = true;
        return true;
      case "!": {
        const a = this.getnum(MAXALIGN);
        if (a === 0 || (a & (a - 1)) !== 0) throw new StructError(`alignment ${a} is not a power of 2`);
        h.align = a;
        return true;
      }
      default:
        if ("bBhHlLTiIfdxcs".includes(opt)) return false;
        throw new StructError(`bad argument #1 to '${argName}' (invalid format option '${opt}')`);
    }
  }
}

function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size <= 1 || opt === "c") return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function putInteger(n: number, little: boolean, size: number): string {
  let value =
    n < 0
      ? BigInt.asUintN(64, BigInt(Math.trunc(n)))
      : BigInt.asUintN(64, BigInt(Math.trunc(Math.min(n, 1.8446744073709552e19))));
  const bytes: number[] = new Array(size).fill(0);
  for (let i = 0; i < size; i++) {
    const b = Number(value & 0xffn);
    value >>= 8n;
    bytes[little ? i : size - 1 - i] = b;
  }
  return String.fromCharCode(...bytes);
}

function getInteger(s: string, at: number, little: boolean, signed: boolean, size: number): number {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const b = BigInt(s.charCodeAt(little ? at + size - 1 - i : at + i));
    v = ((v << 8n) | b) & ((1n << 64n) - 1n);
  }
  if (signed) {
    if (size <= 8) v = BigInt.asIntN(size * 8, v);
    else v = BigInt.asIntN(64, v);
  }
  return Number(v);
}

function floatBytes(x: number, size: number, little: boolean): string {
  const b = Buffer.alloc(size);
  if (size === 4) little ? b.writeFloatLE(x) : b.writeFloatBE(x);
  else little ? b.writeDoubleLE(x) : b.writeDoubleBE(x);
  return b.toString("latin1");
}

function guard(L: LuaState, fn: () => number): number {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StructError) return luaBytes.raise(L, err.message);
    throw err;
  }
}

function pack(L: LuaState): number {
  return guard(L, () => {
    const r = new FormatReader(luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 1)));
    const h: Header = { little: true, align: 1 };
    let arg = 2;
    let total = 0;
    let out = "";
    while (r.i < r.fmt.length) {
      const opt = r.fmt[r.i++];
      if (r.controloptions(opt, h, "pack")) continue;
      let size = r.optsize(opt);
      const toalign = gettoalign(total, h, opt, size);
      total += toalign;
      out += "\0".repeat(toalign);
      switch (opt) {
        case "b":
        case "B":
        case "h":
        case "H":
        case "l":
        case "L":
        case "T":
        case "i":
        case "I":
          out += putInteger(lauxlib.luaL_checknumber(L, arg++), h.little, size);
          break;
        case "x":
          out += "\0";
          break;
        case "f":
        case "d":
          out += floatBytes(lauxlib.luaL_checknumber(L, arg++), size, h.little);
          break;
        case "c":
        case "s": {
          const s = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, arg));
          if (opt === "c") {
            if (size === 0) size = s.length;
            if (s.length < size) lauxlib.luaL_argerror(L, arg, "string too short");
            out += s.slice(0, size);
          } else {
            size = s.length + 1;
            out += s + "\0";
          }
          arg++;
          break;
        }
      }
      total += size;
    }
    luaBytes.push(L, out);
    return 1;
  });
}

function unpack(L: LuaState): number {
  return guard(L, () => {
    const r = new FormatReader(luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 1)));
    const data = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 2));
    const ld = data.length;
    let pos = Math.trunc(lauxlib.luaL_optnumber(L, 3, 1)) - 1;
    if (pos < 0) lauxlib.luaL_argerror(L, 3, "offset must be 1 or greater");
    const h: Header = { little: true, align: 1 };
    let n = 0;
    lua.lua_settop(L, 2);
    while (r.i < r.fmt.length) {
      const opt = r.fmt[r.i++];
      if (r.controloptions(opt, h, "unpack")) continue;
      let size = r.optsize(opt);
      pos += gettoalign(pos, h, opt, size);
      if (pos + size > ld) lauxlib.luaL_argerror(L, 2, "data string too short");
      lauxlib.luaL_checkstack(L, 2, "too many results");
      switch (opt) {
        case "b":
        case "B":
        case "h":
        case "H":
        case "l":
        case "L":
        case "T":
        case "i":
        case "I":
          lua.lua_pushnumber(L, getInteger(data, pos, h.little, opt === opt.toLowerCase(), size));
          n++;
          break;
        case "x":
          break;
        case "f":
        case "d": {
          const b = Buffer.from(data.slice(pos, pos + size), "latin1");
          lua.lua_pushnumber(
            L,
            size === 4
              ? h.little
                ? b.readFloatLE()
                : b.readFloatBE()
              : h.little
                ? b.readDoubleLE()
                : b.readDoubleBE(),
          );
          n++;
          break;
        }
        case "c":
          if (size === 0) {
            if (n === 0 || !lua.lua_isnumber(L, -1))
              throw new StructError("format 'c0' needs a previous size");
            size = Math.trunc(lua.lua_tonumber(L, -1));
            lua.lua_pop(L, 1);
            n--;
            if (!(size <= ld && pos <= ld - size)) lauxlib.luaL_argerror(L, 2, "data string too short");
          }
          luaBytes.push(L, data.slice(pos, pos + size));
          n++;
          break;
        case "s": {
          const e = data.indexOf("\0", pos);
          if (e < 0) throw new StructError("unfinished string in data");
          size = e - pos + 1;
          luaBytes.push(L, data.slice(pos, e));
          n++;
          break;
        }
      }
      pos += size;
    }
    lua.lua_pushnumber(L, pos + 1);
    return n + 1;
  });
}

function size(L: LuaState): number {
  return guard(L, () => {
    const r = new FormatReader(luaBytes.toLatin1(lauxlib.luaL_checklstring(L, 1)));
    const h: Header = { little: true, align: 1 };
    let pos = 0;
    while (r.i < r.fmt.length) {
      const opt = r.fmt[r.i++];
      if (r.controloptions(opt, h, "size")) continue;
      const sz = r.optsize(opt);
      pos += gettoalign(pos, h, opt, sz);
      if (opt === "s") lauxlib.luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
      else if (opt === "c" && sz === 0)
        lauxlib.luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
      pos += sz;
    }
    lua.lua_pushnumber(L, pos);
    return 1;
  });
}

/** Pushes the struct module table. */
export function pushStructModule(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  lua.lua_pushcfunction(L, pack);
  lua.lua_setfield(L, -2, "pack");
  lua.lua_pushcfunction(L, unpack);
  lua.lua_setfield(L, -2, "unpack");
  lua.lua_pushcfunction(L, size);
  lua.lua_setfield(L, -2, "size");
}
