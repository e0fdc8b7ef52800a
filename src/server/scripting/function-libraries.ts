import { crc64 } from "../../persistence/crc64.js";
import { RdbEncoder } from "../../persistence/rdb-encoder.js";
import { RDB_OPCODE_FUNCTION2, RDB_VERSION } from "../../persistence/rdb-format.js";
import { loadRdbSync } from "../../persistence/rdb-loader.js";
import { Keyspace, type KeyspaceFunctions } from "../../store/keyspace.js";
import { type LuaState, lauxlib, lua } from "./fengari-vm.js";
import { luaBytes } from "./lua-bytes.js";
import type { LuaRuntime } from "./lua-runtime.js";
import { pushErrorTable } from "./resp-to-lua.js";
import { SCRIPT_FLAG_NAMES } from "./script-run.js";
import { compileError, type ScriptingEngine, scriptFlagsToCmdFlags } from "./scripting-engine.js";

/**
 * Redis 7 function libraries (functions.c, function_lua.c): "#!lua name=<lib>" code whose top level
 * calls redis.register_function; the functions are then called with FCALL/FCALL_RO. Libraries run in
 * their own Lua state. While a library loads, its globals are only `redis` with register_function, log
 * and the version fields, as in Redis; afterwards its functions see the usual script globals.
 *
 * Libraries persist as their code in RDB (RDB_OPCODE_FUNCTION2, through keyspace.functions), FUNCTION
 * DUMP gives that same encoding plus the RDB version and a CRC64, and FUNCTION LOAD/DELETE/FLUSH/RESTORE
 * propagate as themselves.
 */

export interface FunctionInfo {
  name: string;
  desc: string | null;
  flags: number;
  /** Registry reference of the callback in the functions state. */
  ref: number;
  library: FunctionLibrary;
}

export interface FunctionLibrary {
  name: string;
  code: string;
  functions: Map<string, FunctionInfo>;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const NAME_ERROR =
  "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
const LOAD_TIMEOUT_MS = 500;

export class FunctionError extends Error {}

export class FunctionLibraries implements KeyspaceFunctions {
  readonly rt: LuaRuntime;
  libraries = new Map<string, FunctionLibrary>();
  functions = new Map<string, FunctionInfo>();
  /** The library being loaded (register_function adds to it), or null outside FUNCTION LOAD. */
  private loading: FunctionLibrary | null = null;
  private loadApiRef = 0;

  constructor(readonly engine: ScriptingEngine) {
    this.rt = engine.newRuntime("function", (_rt, L) => {
      // The globals a library sees while it loads: `redis` with register_function, log, versions.
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, 8);
      lua.lua_pushcfunction(L, (L2) => this.registerFunction(L2));
      lua.lua_setfield(L, -2, "register_function");
      _rt.pushRawGlobals();
      lua.lua_getfield(L, -1, "redis");
      for (const f of [
        "log",
        "LOG_DEBUG",
        "LOG_VERBOSE",
        "LOG_NOTICE",
        "LOG_WARNING",
        "REDIS_VERSION",
        "REDIS_VERSION_NUM",
      ]) {
        lua.lua_getfield(L, -1, f);
        lua.lua_setfield(L, -4, f);
      }
      lua.lua_pop(L, 2);
      pushErrorMetatable(L);
      lua.lua_setmetatable(L, -2);
      lua.lua_setfield(L, -2, "redis");
      pushErrorMetatable(L);
      lua.lua_setmetatable(L, -2);
      this.loadApiRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    });
    engine.functionCommandFlags = (argv, flags) => {
      const f = this.functions.get(argv[1]);
      return f === undefined ? flags : scriptFlagsToCmdFlags(flags, f.flags);
    };
    engine.server.keyspace.functions = this;
  }

  // ─── loading ─────────────────────────────────────────────────────────────────────────────────────

  /** Redis's functionsCreateWithLibraryCtx into `target`; returns the library name or throws. */
  create(code: string, replace: boolean, target: FunctionSet = this): string {
    const md = extractMetadata(code);
    if (!NAME_RE.test(md.name)) throw new FunctionError(NAME_ERROR);
    if (md.engine.toLowerCase() !== "lua") throw new FunctionError(`Engine '${md.engine}' not found`);
    const old = target.libraries.get(md.name);
    if (old !== undefined && !replace) throw new FunctionError(`Library '${md.name}' already exists`);
    const lib: FunctionLibrary = { name: md.name, code, functions: new Map() };
    this.compileAndRegister(lib, md.body);
    if (lib.functions.size === 0) {
      this.free(lib);
      throw new FunctionError("No functions registered");
    }
    for (const name of lib.functions.keys()) {
      const other = target.functions.get(name);
      if (other !== undefined && other.library !== old) {
        this.free(lib);
        throw new FunctionError(`Function ${name} already exists`);
      }
    }
    if (old !== undefined) unlink(target, old);
    link(target, lib);
    if (old !== undefined) this.free(old);
    return lib.name;
  }

  private compileAndRegister(lib: FunctionLibrary, body: string): void {
    const rt = this.rt;
    const L = rt.L;
    const err = rt.load(L, body, "@user_function");
    if (err !== null) throw new FunctionError(`Error compiling function: ${compileError(err)}`);
    rt.setGlobalsIndex(this.loadApiRef);
    this.loading = lib;
    const started = performance.now();
    const T = lua.lua_newthread(L);
    lua.lua_insert(L, -2);
    lua.lua_xmove(L, T, 1);
    lua.lua_sethook(
      T,
      (T2) => {
        if (performance.now() - started > LOAD_TIMEOUT_MS) {
          lua.lua_sethook(T2, null, 0, 0);
          pushErrorTable(T2, "FUNCTION LOAD timeout");
          lua.lua_error(T2);
        }
      },
      lua.LUA_MASKCOUNT,
      100000,
    );
    let status: number;
    try {
      status = lua.lua_resume(T, L, 0);
    } finally {
      this.loading = null;
      rt.setGlobalsIndex(null);
      lua.lua_pop(L, 1); // the thread
    }
    if (status === lua.LUA_YIELD) {
      this.free(lib);
      throw new FunctionError("Error registering functions: attempt to yield from a library's load");
    }
    if (status !== lua.LUA_OK) {
      const msg = errorInfoMessage(T);
      this.free(lib);
      throw new FunctionError(`Error registering functions: ${msg}`);
    }
  }

  /** redis.register_function(name, callback) or redis.register_function{function_name=..., ...}. */
  private registerFunction(L: LuaState): number {
    const lib = this.loading;
    if (lib === null) return raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
    const argc = lua.lua_gettop(L);
    let name: string | null = null;
    let desc: string | null = null;
    let flags = 0;
    let hasCallback = false;
    if (argc === 1) {
      if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
        return raise(
          L,
          "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        );
      }
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (lua.lua_type(L, -2) !== lua.LUA_TSTRING) {
          return raise(L, "named argument key given to redis.register_function is not a string");
        }
        const key = luaBytes.get(L, -2)!.toLowerCase();
        if (key === "function_name") {
          if (!lua.lua_isstring(L, -1)) {
            return raise(L, "function_name argument given to redis.register_function must be a string");
          }
          name = luaBytes.get(L, -1);
        } else if (key === "description") {
          if (!lua.lua_isstring(L, -1)) {
            return raise(L, "description argument given to redis.register_function must be a string");
          }
          desc = luaBytes.get(L, -1);
        } else if (key === "callback") {
          if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) {
            return raise(L, "callback argument given to redis.register_function must be a function");
          }
          lua.lua_pushvalue(L, -1);
          lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "__tandem_pending_callback");
          hasCallback = true;
        } else if (key === "flags") {
          if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
            return raise(
              L,
              "flags argument to redis.register_function must be a table representing function flags",
            );
          }
          const f = readFlags(L, lua.lua_gettop(L));
          if (f === null) return raise(L, "unknown flag given");
          flags = f;
        } else {
          return raise(L, "unknown argument given to redis.register_function");
        }
        lua.lua_pop(L, 1);
      }
      if (name === null) return raise(L, "redis.register_function must get a function name argument");
      if (!hasCallback) return raise(L, "redis.register_function must get a callback argument");
      lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "__tandem_pending_callback");
    } else if (argc === 2) {
      if (!lua.lua_isstring(L, 1)) {
        return raise(L, "first argument to redis.register_function must be a string");
      }
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) {
        return raise(L, "second argument to redis.register_function must be a function");
      }
      name = luaBytes.get(L, 1)!;
      lua.lua_pushvalue(L, 2);
    } else return raise(L, "wrong number of arguments to redis.register_function");
    if (!NAME_RE.test(name)) {
      lua.lua_pop(L, 1);
      return raise(L, NAME_ERROR);
    }
    if (lib.functions.has(name)) {
      lua.lua_pop(L, 1);
      return raise(L, "Function already exists in the library");
    }
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lib.functions.set(name, { name, desc, flags, ref, library: lib });
    return 0;
  }

  private free(lib: FunctionLibrary): void {
    for (const f of lib.functions.values()) lauxlib.luaL_unref(this.rt.L, lua.LUA_REGISTRYINDEX, f.ref);
  }

  delete(name: string): boolean {
    const lib = this.libraries.get(name);
    if (lib === undefined) return false;
    unlink(this, lib);
    this.free(lib);
    return true;
  }

  flush(): void {
    for (const lib of this.libraries.values()) this.free(lib);
    this.libraries = new Map();
    this.functions = new Map();
  }

  /** Frees every library of a scratch set (a failed FUNCTION RESTORE). */
  drop(set: FunctionSet): void {
    for (const lib of set.libraries.values()) this.free(lib);
  }

  /** Redis's libraryJoin (policy append/replace) or a swap (flush); an error text or null. */
  join(src: FunctionSet, policy: string): string | null {
    if (policy === "flush") {
      this.flush();
      for (const lib of src.libraries.values()) link(this, lib);
      return null;
    }
    const replaced: FunctionLibrary[] = [];
    const restore = () => {
      for (const old of replaced) link(this, old);
    };
    for (const lib of src.libraries.values()) {
      const old = this.libraries.get(lib.name);
      if (old === undefined) continue;
      if (policy !== "replace") {
        restore();
        this.drop(src);
        return `Library ${lib.name} already exists`;
      }
      unlink(this, old);
      replaced.push(old);
    }
    for (const name of src.functions.keys()) {
      if (this.functions.has(name)) {
        restore();
        this.drop(src);
        return `Function ${name} already exists`;
      }
    }
    for (const lib of src.libraries.values()) link(this, lib);
    for (const old of replaced) this.free(old);
    return null;
  }

  // ─── KeyspaceFunctions (RDB) ──────────────────────────────────────────────────────────────────────

  libraryCodes(): string[] {
    return [...this.libraries.values()].map((l) => l.code);
  }

  beginLoad(): void {
    this.flush();
  }

  loadLibrary(code: string): void {
    this.create(code, false);
  }

  // ─── DUMP / RESTORE ───────────────────────────────────────────────────────────────────────────────

  /** FUNCTION DUMP: the libraries as RDB records, then the RDB version (2 bytes LE) and a CRC64. */
  dump(): Buffer {
    const enc = new RdbEncoder(true);
    for (const lib of this.libraries.values()) {
      enc.byte(RDB_OPCODE_FUNCTION2);
      enc.string(lib.code);
    }
    const body = Buffer.concat([...enc.take(), Buffer.from([RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff])]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, crc]);
  }

  /**
   * The library codes of a FUNCTION DUMP payload, or an error text. The records are read by the RDB
   * loader, wrapped as a file of their own.
   */
  static parseDump(payload: Buffer): string[] | string {
    if (payload.length < 10) return "DUMP payload version or checksum are wrong";
    const footer = payload.subarray(payload.length - 10);
    const version = footer[0] | (footer[1] << 8);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(payload.subarray(0, payload.length - 8)));
    if (version > RDB_VERSION || !crc.equals(footer.subarray(2)))
      return "DUMP payload version or checksum are wrong";
    const records = payload.subarray(0, payload.length - 10);
    // Each record must be a function: the first byte of every record is checked by the loader below.
    if (records.length > 0 && records[0] !== RDB_OPCODE_FUNCTION2 && records[0] !== 246) {
      return "given type is not a function";
    }
    const codes: string[] = [];
    const ks = new Keyspace(1);
    ks.functions = {
      libraryCodes: () => [],
      beginLoad: () => {},
      loadLibrary: (code) => {
        codes.push(code);
      },
    };
    const file = Buffer.concat([
      Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, "0")}`, "latin1"),
      records,
      Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    try {
      loadRdbSync(file, ks);
    } catch {
      return "failed loading the given functions payload";
    }
    if (ks.keyCount > 0) return "given type is not a function";
    return codes;
  }
}

/** Where libraries are linked: the live set, or a scratch one (FUNCTION RESTORE builds one first). */
export interface FunctionSet {
  libraries: Map<string, FunctionLibrary>;
  functions: Map<string, FunctionInfo>;
}

function link(target: FunctionSet, lib: FunctionLibrary): void {
  target.libraries.set(lib.name, lib);
  for (const f of lib.functions.values()) target.functions.set(f.name, f);
}

function unlink(target: FunctionSet, lib: FunctionLibrary): void {
  target.libraries.delete(lib.name);
  for (const f of lib.functions.values()) target.functions.delete(f.name);
}

/** Redis's functionExtractLibMetaData: "#!<engine> name=<name>" on the first line. */
function extractMetadata(code: string): { engine: string; name: string; body: string } {
  if (!code.startsWith("#!")) throw new FunctionError("Missing library metadata");
  const end = code.indexOf("\n");
  if (end < 0) throw new FunctionError("Invalid library metadata");
  const parts = code
    .slice(0, end)
    .split(/[ \t\r]+/)
    .filter((p) => p !== "");
  if (parts.length === 0) throw new FunctionError("Invalid library metadata");
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null)
        throw new FunctionError("Invalid metadata value, name argument was given multiple times");
      name = part.slice(5);
      continue;
    }
    throw new FunctionError(`Invalid metadata value given: ${part}`);
  }
  if (name === null) throw new FunctionError("Library name was not given");
  // The body keeps the first line's newline so line numbers stay the user's.
  return { engine, name, body: code.slice(end) };
}

function readFlags(L: LuaState, t: number): number | null {
  let flags = 0;
  let j = 1;
  while (lua.lua_rawgeti(L, t, j) !== lua.LUA_TNIL) {
    const s = lua.lua_type(L, -1) === lua.LUA_TSTRING ? luaBytes.get(L, -1) : null;
    lua.lua_pop(L, 1);
    const bit = SCRIPT_FLAG_NAMES.find(([n]) => n === s)?.[1];
    if (bit === undefined) return null;
    flags |= bit;
    j++;
  }
  lua.lua_pop(L, 1);
  return flags;
}

/** luaExtractErrorInformation's message of the error on top of `T`. */
function errorInfoMessage(T: LuaState): string {
  lua.lua_checkstack(T, 4);
  if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
    lua.lua_getfield(T, -1, "err");
    const m = lua.lua_isstring(T, -1) ? luaBytes.get(T, -1)! : "";
    lua.lua_pop(T, 1);
    return m;
  }
  return `ERR ${luaBytes.get(T, -1) ?? ""}`;
}

function raise(L: LuaState, msg: string): never {
  pushErrorTable(L, msg);
  return lua.lua_error(L);
}

/** Redis's luaSetErrorMetatable: reading a missing field is "nonexistent global variable". */
function pushErrorMetatable(L: LuaState): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushcfunction(L, (L2) => {
    const name = luaBytes.get(L2, 2) ?? "?";
    return luaBytes.raise(L2, `Script attempted to access nonexistent global variable '${name}'`);
  });
  lua.lua_setfield(L, -2, "__index");
}
