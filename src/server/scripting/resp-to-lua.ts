import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/**
 * A command's reply (the RESP bytes the script's client received) turned into Lua values as Redis's
 * redisProtocolToLuaType does: integers → numbers, bulk → strings, null bulk/array → false (RESP2),
 * status → {ok=...}, error → {err=...}, arrays → tables; RESP3 maps → {map={...}}, sets → {set={k=true}},
 * null → nil, booleans, doubles → {double=n}, big numbers → {big_number=s}, verbatim →
 * {verbatim_string={format=..., string=...}}; attributes are skipped.
 */
export class RespToLua {
  private b: Buffer = Buffer.alloc(0);
  private p = 0;

  /**
   * Pushes the reply in `b[0..end)` (one complete reply, as the script client's reply writer holds it;
   * read in place, nothing converted to a JS string but status/error/number lines). Returns true when it
   * is an error reply.
   */
  push(L: LuaState, b: Buffer, end: number): boolean {
    this.b = b;
    this.p = 0;
    const isError = end > 0 && b[0] === 0x2d; // '-'
    this.value(L);
    return isError;
  }

  /** The index of the CR ending the line that starts at this.p. */
  private lineEnd(): number {
    const b = this.b;
    let i = this.p + 1;
    while (b[i] !== 0x0d) i++;
    return i;
  }

  /** The line's text after the type byte, moving past its CRLF. */
  private line(): string {
    const end = this.lineEnd();
    const out = this.b.latin1Slice(this.p + 1, end);
    this.p = end + 2;
    return out;
  }

  /** The line's decimal integer after the type byte (RESP lengths and integers), moving past its CRLF. */
  private lineInteger(): number {
    const b = this.b;
    const start = this.p + 1;
    let i = start;
    const negative = b[i] === 0x2d;
    if (negative) i++;
    let n = 0;
    const firstDigit = i;
    for (; b[i] !== 0x0d; i++) n = n * 10 + (b[i] - 0x30);
    this.p = i + 2;
    // Past 15 digits the sum above may round differently from a correctly rounded conversion.
    if (i - firstDigit > 15) return Number(b.latin1Slice(start, i));
    return negative ? -n : n;
  }

  /** A copy of b[from..to) for Lua to own. */
  private bytes(from: number, to: number): Uint8Array {
    const n = to - from;
    const b = this.b;
    if (n < 64) {
      const u8 = new Uint8Array(n);
      for (let i = 0; i < n; i++) u8[i] = b[from + i];
      return u8;
    }
    return Uint8Array.prototype.slice.call(b, from, to);
  }

  private value(L: LuaState | null): void {
    const b = this.b;
    const type = b[this.p];
    if (L !== null) lauxlib.luaL_checkstack(L, 4, "");
    switch (type) {
      case 0x3a: {
        // ':'
        const n = this.lineInteger();
        if (L) lua.lua_pushnumber(L, n);
        return;
      }
      case 0x24: // '$'
      case 0x3d: {
        // '='
        const n = this.lineInteger();
        if (n < 0) {
          if (L) lua.lua_pushboolean(L, false);
          return;
        }
        const start = this.p;
        this.p += n + 2;
        if (!L) return;
        if (type === 0x24) luaBytes.pushOwned(L, this.bytes(start, start + n));
        else {
          lua.lua_createtable(L, 0, 1);
          lua.lua_createtable(L, 0, 2);
          luaBytes.pushOwned(L, this.bytes(start + 4, start + n));
          lua.lua_setfield(L, -2, "string");
          luaBytes.pushOwned(L, this.bytes(start, start + 3));
          lua.lua_setfield(L, -2, "format");
          lua.lua_setfield(L, -2, "verbatim_string");
        }
        return;
      }
      case 0x2b: {
        // '+'
        const text = this.line();
        if (L) {
          lua.lua_createtable(L, 0, 1);
          luaBytes.push(L, text);
          lua.lua_setfield(L, -2, "ok");
        }
        return;
      }
      case 0x2d: {
        // '-'
        const text = this.line();
        if (L) pushErrorTable(L, "-" + text, true);
        return;
      }
      case 0x2a: // '*'
      case 0x3e: {
        // '>'
        const n = this.lineInteger();
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
      case 0x25: // '%'
      case 0x7e: {
        // '~'
        const n = this.lineInteger();
        if (L) {
          lua.lua_createtable(L, 0, 1);
          lua.lua_createtable(L, 0, n);
        }
        for (let i = 0; i < n; i++) {
          this.value(L);
          if (type === 0x25) this.value(L);
          else if (L) lua.lua_pushboolean(L, true);
          if (L) lua.lua_settable(L, -3);
        }
        if (L) lua.lua_setfield(L, -2, type === 0x25 ? "map" : "set");
        return;
      }
      case 0x7c: {
        // '|'
        const n = this.lineInteger();
        for (let i = 0; i < 2 * n; i++) this.value(null);
        this.value(L);
        return;
      }
      case 0x5f: // '_'
        this.line();
        if (L) lua.lua_pushnil(L);
        return;
      case 0x23: {
        // '#'
        const text = this.line();
        if (L) lua.lua_pushboolean(L, text === "t");
        return;
      }
      case 0x2c: {
        // ','
        const text = this.line();
        if (L) {
          lua.lua_createtable(L, 0, 1);
          lua.lua_pushnumber(L, parseRespDouble(text));
          lua.lua_setfield(L, -2, "double");
        }
        return;
      }
      case 0x28: {
        // '('
        const text = this.line();
        if (L) {
          lua.lua_createtable(L, 0, 1);
          luaBytes.push(L, text);
          lua.lua_setfield(L, -2, "big_number");
        }
        return;
      }
      default:
        throw new Error(`unexpected reply type '${String.fromCharCode(type)}' in a script's command reply`);
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
