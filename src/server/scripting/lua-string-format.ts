import { type CFormatFlags, formatCDouble, padNumber } from "./c-number-format.js";
import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";

/** 2^63, the bound of C's long long. */
const TWO_63 = 2 ** 63;

/**
 * string.format as Lua 5.1 has it (lstrlib.c str_format), not 5.3's: %d/%x/%o/%u/%c take any number and
 * truncate it as C's cast does (5.3 refuses a number without an exact integer value, and fengari's
 * integers are 32-bit), and %e/%f/%g print C's digits. Scripts in the wild rely on string.format("%d", x)
 * to turn a float into an integer string.
 */

function parseSpec(
  fmt: string,
  i: number,
): { flags: CFormatFlags; width: number; prec: number; next: number } {
  const flags: CFormatFlags = { left: false, plus: false, space: false, alt: false, zero: false };
  let p = i;
  while (p < fmt.length && "-+ #0".includes(fmt[p])) {
    const ch = fmt[p];
    if (ch === "-") flags.left = true;
    else if (ch === "+") flags.plus = true;
    else if (ch === " ") flags.space = true;
    else if (ch === "#") flags.alt = true;
    else flags.zero = true;
    p++;
  }
  if (p - i >= 6) throw new FormatError("invalid format (repeated flags)");
  let width = 0;
  let digits = 0;
  while (p < fmt.length && fmt[p] >= "0" && fmt[p] <= "9") {
    width = width * 10 + (fmt.charCodeAt(p) - 48);
    p++;
    digits++;
  }
  let prec = -1;
  let precDigits = 0;
  if (fmt[p] === ".") {
    p++;
    prec = 0;
    while (p < fmt.length && fmt[p] >= "0" && fmt[p] <= "9") {
      prec = prec * 10 + (fmt.charCodeAt(p) - 48);
      p++;
      precDigits++;
    }
  }
  if (digits > 2 || precDigits > 2) throw new FormatError("invalid format (width or precision too long)");
  return { flags, width, prec, next: p };
}

class FormatError extends Error {}

/** C's (long long) cast of a double, as x86 does it (out of range → the minimum). */
function toInt64(x: number): bigint {
  if (!Number.isFinite(x) || x >= TWO_63 || x < -TWO_63) {
    return -9223372036854775808n;
  }
  return BigInt(Math.trunc(x));
}

function formatInteger(conv: string, x: number, flags: CFormatFlags, width: number, prec: number): string {
  let v = toInt64(x);
  let sign = "";
  let body: string;
  if (conv === "d" || conv === "i") {
    if (v < 0n) {
      sign = "-";
      v = -v;
    } else if (flags.plus) sign = "+";
    else if (flags.space) sign = " ";
    body = v.toString();
  } else {
    const u = BigInt.asUintN(64, v);
    body = conv === "o" ? u.toString(8) : conv === "u" ? u.toString() : u.toString(16);
    if (conv === "X") body = body.toUpperCase();
    if (flags.alt && u !== 0n) {
      if (conv === "x") sign = "0x";
      else if (conv === "X") sign = "0X";
    }
    if (flags.alt && conv === "o" && body[0] !== "0") body = "0" + body;
  }
  if (prec >= 0) {
    if (prec === 0 && body === "0") body = "";
    body = body.padStart(prec, "0");
  }
  return padNumber(sign, body, width, flags.left, flags.zero && prec < 0);
}

function quoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "\\" || ch === "\n") out += "\\" + ch;
    else if (ch === "\r") out += "\\r";
    else if (ch === "\0") out += "\\000";
    else out += ch;
  }
  return out + '"';
}

/** The Lua function: string.format(fmt, ...). */
export function luaStringFormat(L: LuaState): number {
  const top = lua.lua_gettop(L);
  let arg = 1;
  const fmt = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, arg));
  let out = "";
  let i = 0;
  try {
    while (i < fmt.length) {
      const ch = fmt[i];
      if (ch !== "%") {
        out += ch;
        i++;
        continue;
      }
      if (fmt[i + 1] === "%") {
        out += "%";
        i += 2;
        continue;
      }
      arg++;
      const spec = parseSpec(fmt, i + 1);
      const conv = fmt[spec.next] ?? "";
      i = spec.next + 1;
      if (arg > top && conv !== "") lauxlib.luaL_argerror(L, arg, "no value");
      switch (conv) {
        case "c":
          out += padNumber(
            "",
            String.fromCharCode(Number(BigInt.asUintN(8, toInt64(lauxlib.luaL_checknumber(L, arg))))),
            spec.width,
            spec.flags.left,
            false,
          );
          break;
        case "d":
        case "i":
        case "o":
        case "u":
        case "x":
        case "X":
          out += formatInteger(conv, lauxlib.luaL_checknumber(L, arg), spec.flags, spec.width, spec.prec);
          break;
        case "e":
        case "E":
        case "f":
        case "g":
        case "G":
          out += formatCDouble(conv, lauxlib.luaL_checknumber(L, arg), spec.flags, spec.width, spec.prec);
          break;
        case "q":
          out += quoted(luaBytes.toLatin1(lauxlib.luaL_checklstring(L, arg)));
          break;
        case "s": {
          let s = luaBytes.toLatin1(lauxlib.luaL_checklstring(L, arg));
          if (spec.prec >= 0) s = s.slice(0, spec.prec);
          out += padNumber("", s, spec.width, spec.flags.left, false);
          break;
        }
        default:
          throw new FormatError(`invalid option '%${conv}' to 'format'`);
      }
    }
  } catch (err) {
    if (err instanceof FormatError) luaBytes.raise(L, err.message);
    throw err;
  }
  luaBytes.push(L, out);
  return 1;
}
