import { createHash } from "node:crypto";
import { CommandFlag } from "../../command-table/command-flags.js";
import { arityOk } from "../../command-table/command-table.js";
import { Client, ClientFlag } from "../client.js";
import type { RegisteredCommand } from "../command-registry.js";
import type { Server } from "../server.js";
import { ERR_MASTERDOWN, ERR_NOREPLICAS } from "../shared-replies.js";
import { formatCDouble } from "./c-number-format.js";
import { type LuaDebug, type LuaState, lauxlib, lua, to_luastring } from "./fengari-vm.js";
import { FunctionLibraries } from "./function-libraries.js";
import { pushBitModule } from "./lua-bit.js";
import { luaBytes } from "./lua-bytes.js";
import { pushCjsonModule } from "./lua-cjson.js";
import { pushCmsgpackModule } from "./lua-cmsgpack.js";
import { LuaRuntime, type ReusedArray } from "./lua-runtime.js";
import { pushStructModule } from "./lua-struct.js";
import { luaToResp } from "./lua-to-resp.js";
import { pushErrorTable, RespToLua } from "./resp-to-lua.js";
import { ScriptFlag, ScriptRun } from "./script-run.js";

/**
 * Lua scripting for EVAL and FCALL (Redis's eval.c, script.c and script_lua.c): the interpreter states,
 * the redis.* API, running a script with Redis's checks, and slow scripts.
 *
 * A script's commands run through the dispatcher's `call` as the script's own client, inside the
 * caller's propagation unit, so replicas and the AOF get the script's effects — wrapped in MULTI/EXEC when
 * there is more than one — never EVAL itself (Redis 7's effects replication).
 *
 * Slow scripts: Node has one thread, so the server cannot serve others *while* Lua runs. Every script runs
 * in a coroutine; the count hook (every 100000 instructions) checks the elapsed time, and once it passes
 * busy-reply-threshold the script yields: the event loop serves other clients — every command but the
 * ALLOW_BUSY ones (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, ...) answers -BUSY — and the script resumes
 * on the next turn, as Redis's processEventsWhileBlocked does between hook calls. The caller is blocked
 * meanwhile; the propagation unit stays open so the effects still go out as one transaction. A script
 * cannot yield inside a C boundary (a table.sort comparator, a gsub callback) or when its caller cannot
 * wait (inside MULTI/EXEC, the master link, AOF loading): then it runs to its end without serving others.
 */

export interface EvalScript {
  body: string;
  flags: number;
  /** Registry reference of the compiled chunk in the eval state. */
  ref: number;
}

export const ERR_BUSY_EVAL =
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
export const ERR_BUSY_FUNCTION =
  "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const ERR_HANDLER_NAME = to_luastring("__redis__err__handler");

export const ERR_NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

const REDIS_VERSION = "7.0.15";
const REDIS_VERSION_NUM = 0x07000f;

export function sha1hex(s: string): string {
  return createHash("sha1").update(s, "latin1").digest("hex");
}

/** Redis's evalExtractShebangFlags; returns the flags and the shebang length, or an error text. */
export function extractShebangFlags(body: string): { flags: number; shebangLen: number } | string {
  if (!body.startsWith("#!")) return { flags: ScriptFlag.EVAL_COMPAT_MODE, shebangLen: 0 };
  const end = body.indexOf("\n");
  if (end < 0) return "Invalid script shebang";
  const parts = body
    .slice(0, end)
    .split(/[ \t\r]+/)
    .filter((p) => p !== "");
  if (parts.length === 0) return "Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `Unexpected engine in script shebang: ${parts[0]}`;
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return `Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    for (const f of list === "" ? [] : list.split(",")) {
      const bit = SCRIPT_FLAG_BITS.get(f);
      if (bit === undefined) return `Unexpected flag in script shebang: ${f}`;
      flags |= bit;
    }
  }
  return { flags, shebangLen: end };
}

const SCRIPT_FLAG_BITS = new Map<string, number>([
  ["no-writes", ScriptFlag.NO_WRITES],
  ["allow-oom", ScriptFlag.ALLOW_OOM],
  ["allow-stale", ScriptFlag.ALLOW_STALE],
  ["no-cluster", ScriptFlag.NO_CLUSTER],
  ["allow-cross-slot-keys", ScriptFlag.ALLOW_CROSS_SLOT],
]);

/** Redis's scriptFlagsToCmdFlags: a script that declared flags runs with the command flags they imply. */
export function scriptFlagsToCmdFlags(cmdFlags: number, scriptFlags: number): number {
  let f =
    cmdFlags & ~(CommandFlag.STALE | CommandFlag.DENYOOM | CommandFlag.WRITE | CommandFlag.MAY_REPLICATE);
  if (!(scriptFlags & (ScriptFlag.ALLOW_OOM | ScriptFlag.NO_WRITES))) f |= CommandFlag.DENYOOM;
  if (!(scriptFlags & ScriptFlag.NO_WRITES)) f |= CommandFlag.WRITE;
  if (scriptFlags & ScriptFlag.ALLOW_STALE) f |= CommandFlag.STALE;
  return f;
}

/** Formats a Lua number argument of redis.call as Redis does ("%.17g"). */
function numberArg(x: number): string {
  if (Number.isInteger(x) && x < 1e17 && x > -1e17) return Object.is(x, -0) ? "-0" : String(x);
  return formatCDouble("g", x, undefined, 0, 17);
}

/**
 * Blocking commands Redis 7.0 flags noscript though the shared command table (newer metadata) does not:
 * from a 7.0 script they are refused, not run without blocking.
 */
const NOSCRIPT_70 = new Set(["blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax", "wait"]);

/** What a runtime needs from its user (EVAL or functions) when setting up its globals. */
export type RuntimeKind = "eval" | "function";

export class ScriptingEngine {
  evalRt: LuaRuntime;
  readonly scripts = new Map<string, EvalScript>();
  /** The script running now (possibly suspended across turns), or null. */
  current: ScriptRun | null = null;
  /** The client scripts' commands run as (Redis's lua_client). */
  readonly scriptClient: Client;
  private readonly respToLua = new RespToLua();
  /** Commands from our master that arrived while a script was busy; applied once it ends. */
  readonly afterBusy: (() => void)[] = [];

  constructor(readonly server: Server) {
    this.scriptClient = new Client(server, null);
    this.scriptClient.flags |= ClientFlag.DENY_BLOCKING;
    this.scriptClient.name = "";
    this.evalRt = this.newRuntime("eval");
    this.functions = new FunctionLibraries(this);
  }

  /** FUNCTION libraries and their Lua state. */
  private readonly functions: FunctionLibraries;

  functionLibraries(): FunctionLibraries {
    return this.functions;
  }

  // ─── interpreter states ────────────────────────────────────────────────────────────────────────────

  newRuntime(kind: RuntimeKind, extra?: (rt: LuaRuntime, L: LuaState) => void): LuaRuntime {
    return new LuaRuntime((rt) => {
      const L = rt.L;
      rt.pushRawGlobals();
      const g = lua.lua_gettop(L);
      pushCjsonModule(L);
      lua.lua_setfield(L, g, "cjson");
      pushStructModule(L);
      lua.lua_setfield(L, g, "struct");
      pushCmsgpackModule(L);
      lua.lua_setfield(L, g, "cmsgpack");
      pushBitModule(L);
      lua.lua_setfield(L, g, "bit");
      this.pushRedisApi(L, kind);
      lua.lua_setfield(L, g, "redis");
      lua.lua_pop(L, 1);
      extra?.(rt, L);
      // Redis's pcall returns the message of its error tables; its error handler; debug removed after.
      const err = rt.load(L, SETUP_LUA, "@err_handler_def");
      if (err !== null) throw new Error(err);
      lua.lua_call(L, 0, 0);
      // Globals are read-only from here on, so a reference is the handler scripts would find by name.
      lua.lua_getglobal(L, ERR_HANDLER_NAME);
      rt.errHandlerRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
      rt.onHook = (T) => this.hook(T);
    });
  }

  private pushRedisApi(L: LuaState, kind: RuntimeKind): void {
    lua.lua_createtable(L, 0, 32);
    const fn = (name: string, f: (L: LuaState) => number) => {
      lua.lua_pushcfunction(L, f);
      lua.lua_setfield(L, -2, name);
    };
    const num = (name: string, n: number) => {
      lua.lua_pushnumber(L, n);
      lua.lua_setfield(L, -2, name);
    };
    fn("call", (L2) => this.redisCall(L2, true));
    fn("pcall", (L2) => this.redisCall(L2, false));
    fn("log", (L2) => this.redisLog(L2));
    num("LOG_DEBUG", 0);
    num("LOG_VERBOSE", 1);
    num("LOG_NOTICE", 2);
    num("LOG_WARNING", 3);
    num("REDIS_VERSION_NUM", REDIS_VERSION_NUM);
    luaBytes.push(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, "REDIS_VERSION");
    fn("setresp", (L2) => {
      const run = this.current;
      if (run === null) return raiseError(L2, "redis.setresp can only be called inside a script invocation");
      if (lua.lua_gettop(L2) !== 1) return raiseError(L2, "redis.setresp() requires one argument.");
      const resp = Math.trunc(lua.lua_tonumber(L2, 1));
      if (resp !== 2 && resp !== 3) return raiseError(L2, "RESP version must be 2 or 3.");
      run.resp = resp;
      return 0;
    });
    fn("sha1hex", (L2) => {
      if (lua.lua_gettop(L2) !== 1) return raiseError(L2, "wrong number of arguments");
      luaBytes.push(L2, sha1hex(luaBytes.get(L2, 1) ?? ""));
      return 1;
    });
    fn("error_reply", (L2) => {
      if (lua.lua_gettop(L2) !== 1 || lua.lua_type(L2, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L2, "wrong number or type of arguments");
        return 1;
      }
      const e = luaBytes.get(L2, -1)!;
      pushErrorTable(L2, e.startsWith("-") ? e : "-" + e);
      return 1;
    });
    fn("status_reply", (L2) => {
      if (lua.lua_gettop(L2) !== 1 || lua.lua_type(L2, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L2, "wrong number or type of arguments");
        return 1;
      }
      lua.lua_createtable(L2, 0, 1);
      lua.lua_pushvalue(L2, -2);
      lua.lua_setfield(L2, -2, "ok");
      return 1;
    });
    fn("set_repl", (L2) => {
      const run = this.current;
      if (run === null) return raiseError(L2, "redis.set_repl can only be called inside a script invocation");
      if (lua.lua_gettop(L2) !== 1) return raiseError(L2, "redis.set_repl() requires two arguments.");
      const flags = Math.trunc(lua.lua_tonumber(L2, -1));
      if ((flags & ~3) !== 0) {
        return raiseError(
          L2,
          "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
      }
      run.replFlags = flags;
      return 0;
    });
    num("REPL_NONE", 0);
    num("REPL_AOF", 1);
    num("REPL_SLAVE", 2);
    num("REPL_REPLICA", 2);
    num("REPL_ALL", 3);
    fn("acl_check_cmd", (L2) => {
      if (this.current === null) {
        return raiseError(L2, "redis.acl_check_cmd can only be called inside a script invocation");
      }
      const argv = argsToArgv(L2);
      if (typeof argv === "string") return raiseError(L2, argv);
      if (this.lookup(argv) === null)
        return raiseError(L2, "Invalid command passed to redis.acl_check_cmd()");
      // Tandem has one user with every permission (requirepass only), as Redis's default user.
      lua.lua_pushboolean(L2, true);
      return 1;
    });
    if (kind === "eval") {
      // No debugger in Tandem (SCRIPT DEBUG is not implemented): as Redis outside a debugging session.
      fn("breakpoint", (L2) => {
        lua.lua_pushboolean(L2, false);
        return 1;
      });
      fn("debug", () => 0);
      fn("replicate_commands", (L2) => {
        lua.lua_pushboolean(L2, true);
        return 1;
      });
    }
  }

  private redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) return raiseError(L, "redis.log() requires two arguments or more.");
    if (!lua.lua_isnumber(L, 1)) return raiseError(L, "First argument must be a number (log level).");
    const level = Math.trunc(lua.lua_tonumber(L, 1));
    if (level < 0 || level > 3) return raiseError(L, "Invalid debug level.");
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const s = luaBytes.get(L, j);
      if (s !== null) parts.push(s);
    }
    const msg = parts.join(" ");
    const log = this.server.log;
    if (level === 0) log.debug(msg);
    else if (level === 1) log.debug(msg);
    else if (level === 2) log.info(msg);
    else log.warn(msg);
    return 0;
  }

  // ─── redis.call / redis.pcall ──────────────────────────────────────────────────────────────────────

  private lookup(argv: string[]): RegisteredCommand | null {
    let cmd = this.server.registry.lookup(argv[0]);
    if (cmd === undefined) return null;
    if (cmd.subcommands !== null && argv.length >= 2) {
      const sub = cmd.subcommands.get(argv[1].toLowerCase());
      if (sub === undefined) return null;
      cmd = sub;
    }
    return cmd;
  }

  private redisCall(L: LuaState, raise: boolean): number {
    const run = this.current;
    if (run === null) return raiseError(L, "redis.call/pcall can only be called inside a script invocation");
    const argv = argsToArgv(L);
    lua.lua_settop(L, 0);
    if (typeof argv === "string") {
      pushErrorTable(L, argv);
      return raise ? lua.lua_error(L) : 1;
    }
    const err = this.scriptCall(run, argv);
    if (err !== null) {
      pushErrorTable(L, err);
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, "ignore_error_stats_update");
      return raise ? lua.lua_error(L) : 1;
    }
    const out = this.scriptClient.reply;
    const reply = out.takeBuffer();
    const isError = this.respToLua.push(L, reply, out.takenLength);
    if (raise && isError) return lua.lua_error(L);
    return 1;
  }

  /**
   * Redis's scriptCall: the checks a command from a script goes through, then the call itself as the
   * script's client. Returns an error text (the command did not run), or null (its reply is in the
   * script client's reply buffer).
   */
  private scriptCall(run: ScriptRun, argv: string[]): string | null {
    const server = this.server;
    const cmd = this.lookup(argv);
    if (cmd === null || (cmd.handler === null && cmd.subcommands !== null && argv.length < 2)) {
      return cmd === null
        ? "Unknown Redis command called from script"
        : "Wrong number of args calling Redis command from script";
    }
    if (!arityOk(cmd.spec, argv.length)) return "Wrong number of args calling Redis command from script";
    const flags = cmd.spec.flags | (cmd.spec.parent?.flags ?? 0);
    if (flags & CommandFlag.NOSCRIPT || NOSCRIPT_70.has(cmd.spec.name)) {
      return "This Redis command is not allowed from script";
    }
    const replica = server.replication.isReplica();
    if (
      replica &&
      !server.replicaServeStaleData &&
      !server.replication.masterLinkUp() &&
      !(flags & CommandFlag.STALE)
    ) {
      return "Can not execute the command on a stale replica";
    }
    if (run.readOnly && flags & (CommandFlag.WRITE | CommandFlag.MAY_REPLICATE)) {
      return "Write commands are not allowed from read-only scripts.";
    }
    if (flags & CommandFlag.WRITE && !run.writeDirty) {
      const obey = (run.caller.flags & ClientFlag.MASTER) !== 0 || run.caller.socket === null;
      if (replica && server.replicaReadOnly && !obey)
        return "-READONLY You can't write against a read only replica.";
      const disk = server.diskError();
      if (disk !== null) return "-" + disk;
      if (
        !replica &&
        server.minReplicasToWrite > 0 &&
        server.replication.goodReplicaCount() < server.minReplicasToWrite
      ) {
        return "-" + ERR_NOREPLICAS;
      }
    }
    if (flags & CommandFlag.WRITE) run.writeDirty = true;
    const sc = this.scriptClient;
    sc.reply.proto = run.resp;
    if (run.replFlags === 0) sc.flags |= ClientFlag.PREVENT_PROP;
    server.call(sc, cmd, argv);
    return null;
  }

  // ─── running a script ──────────────────────────────────────────────────────────────────────────────

  /**
   * Redis's scriptPrepareForRun checks for scripts that declared flags; replies and returns false when
   * the script may not run.
   */
  prepare(c: Client, scriptFlags: number, ro: boolean): boolean {
    const server = this.server;
    const replica = server.replication.isReplica();
    const stale = replica && !server.replication.masterLinkUp() && !server.replicaServeStaleData;
    const obey = (c.flags & ClientFlag.MASTER) !== 0 || c.socket === null;
    if (scriptFlags & ScriptFlag.EVAL_COMPAT_MODE) {
      if (stale) {
        c.reply.error(ERR_MASTERDOWN);
        return false;
      }
      return true;
    }
    if (stale && !(scriptFlags & ScriptFlag.ALLOW_STALE)) {
      c.reply.error(
        "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
      );
      return false;
    }
    if (!(scriptFlags & ScriptFlag.NO_WRITES)) {
      if (replica && server.replicaReadOnly && !obey) {
        c.reply.error("READONLY Can not run script with write flag on readonly replica");
        return false;
      }
      if (server.diskError() !== null && !obey) {
        c.reply.error(
          "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.",
        );
        return false;
      }
      if (ro) {
        c.reply.error("ERR Can not execute a script with write flag using *_ro command.");
        return false;
      }
      if (
        !replica &&
        server.minReplicasToWrite > 0 &&
        server.replication.goodReplicaCount() < server.minReplicasToWrite
      ) {
        c.reply.error(ERR_NOREPLICAS);
        return false;
      }
    }
    return true;
  }

  /**
   * Runs the function at `fnRef` in `rt` and replies to `c`. `argv` is the EVAL/FCALL command: its
   * `numkeys` arguments from index 3 are the keys, the rest the args. For EVAL they become the KEYS and
   * ARGV globals; for FCALL they are passed as the function's two arguments.
   */
  run(
    rt: LuaRuntime,
    c: Client,
    fnRef: number,
    funcName: string,
    isEval: boolean,
    scriptFlags: number,
    ro: boolean,
    argv: string[],
    numkeys: number,
  ): void {
    const T = this.thread(rt);
    const canYield =
      c.socket !== null && !(c.flags & (ClientFlag.MULTI | ClientFlag.MASTER)) && !this.server.loading;
    const run = new ScriptRun(c, funcName, isEval, T, canYield);
    if (ro || (!(scriptFlags & ScriptFlag.EVAL_COMPAT_MODE) && scriptFlags & ScriptFlag.NO_WRITES)) {
      run.readOnly = true;
    }
    const sc = this.scriptClient;
    sc.db = c.db;
    sc.flags = (sc.flags & ~ClientFlag.MULTI) | (c.flags & ClientFlag.MULTI);
    this.current = run;
    lua.lua_settop(T, 0);
    // Everything by registry reference: no name is hashed or looked up per call.
    lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, rt.xpcallRef);
    lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, fnRef);
    lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, rt.errHandlerRef);
    const firstArg = 3 + numkeys;
    if (isEval) {
      setEvalArray(rt, rt.keysNameRef, rt.keysArray, argv, 3, firstArg);
      setEvalArray(rt, rt.argvNameRef, rt.argvArray, argv, firstArg, argv.length);
    } else {
      pushArray(T, argv, 3, firstArg);
      pushArray(T, argv, firstArg, argv.length);
    }
    this.step(rt, run, isEval ? 2 : 4);
  }

  /**
   * The coroutine scripts of `rt` run in (a new one after an error left the last one dead). Its count
   * hook stays on for its life: it costs one decrement per instruction, and `hook` ignores it while no
   * script is slow (busy-reply-threshold 0 included).
   */
  private thread(rt: LuaRuntime): LuaState {
    if (rt.thread === null || lua.lua_status(rt.thread) !== lua.LUA_OK) {
      if (rt.threadRef !== 0) lauxlib.luaL_unref(rt.L, lua.LUA_REGISTRYINDEX, rt.threadRef);
      rt.thread = lua.lua_newthread(rt.L);
      rt.threadRef = lauxlib.luaL_ref(rt.L, lua.LUA_REGISTRYINDEX);
      rt.setHook(rt.thread);
    }
    return rt.thread;
  }

  private step(rt: LuaRuntime, run: ScriptRun, nargs: number): void {
    const T = run.thread;
    if (run.killed) {
      this.finishKilled(rt, run);
      return;
    }
    const status = lua.lua_resume(T, rt.L, nargs);
    if (status === lua.LUA_YIELD) {
      if (!run.suspended) this.suspend(run);
      setImmediate(() => this.step(rt, run, 0));
      return;
    }
    this.finish(run, status);
  }

  /** The script yielded for the first time: the caller waits, the propagation unit stays open. */
  private suspend(run: ScriptRun): void {
    run.suspended = true;
    this.server.propagator.begin();
    run.caller.blockOn({ kind: "script", deadline: 0, onTimeout: () => {} });
  }

  private finish(run: ScriptRun, status: number): void {
    const T = run.thread;
    const c = run.caller;
    lua.lua_checkstack(T, 8);
    if (status === lua.LUA_OK && lua.lua_toboolean(T, 1)) {
      if (lua.lua_gettop(T) >= 2) luaToResp(T, 2, c.reply, run.resp);
      else c.reply.nullBulk();
    } else {
      const errIdx = status === lua.LUA_OK ? 2 : -1;
      this.replyError(T, errIdx, run);
    }
    lua.lua_settop(T, 0);
    this.cleanUp(run);
  }

  /**
   * SCRIPT KILL / FUNCTION KILL: the script is suspended (a kill is only heard while it yields), so it is
   * not resumed again — its coroutine is dropped — and the caller gets Redis's error with the line the
   * script had reached. (Redis raises the error from its hook instead, which a pcall in the script could
   * catch for a moment; the outcome is the same.)
   */
  private finishKilled(rt: LuaRuntime, run: ScriptRun): void {
    const T = run.thread;
    let where = "";
    const ar = {
      currentline: -1,
      source: null,
      short_src: null,
      what: null,
      name: null,
    } as unknown as LuaDebug;
    for (let level = 0; lua.lua_getstack(T, level, ar); level++) {
      lua.lua_getinfo(T, "Sl", ar);
      // The first frame of the user's code (not Tandem's pcall wrapper, which a yield can stop in).
      if (ar.currentline > 0 && ar.source !== null && luaBytes.toLatin1(ar.source) !== "@err_handler_def") {
        where = ` script: ${run.funcName}, on ${luaBytes.toLatin1(ar.source)}:${ar.currentline}.`;
        break;
      }
    }
    run.caller.reply.error(`ERR Script killed by user with SCRIPT KILL...${where}`);
    rt.clearHook(T);
    lauxlib.luaL_unref(rt.L, lua.LUA_REGISTRYINDEX, rt.threadRef);
    rt.thread = null;
    rt.threadRef = 0;
    this.cleanUp(run);
  }

  private cleanUp(run: ScriptRun): void {
    const c = run.caller;
    this.current = null;
    this.scriptClient.flags &= ~(ClientFlag.MULTI | ClientFlag.PREVENT_PROP);
    if (this.server.busyScript === run) this.server.busyScript = null;
    if (run.suspended) {
      this.server.propagator.end();
      if (this.server.blocking.hasReadyKeys) this.server.blocking.handleClientsBlockedOnKeys();
      if (!c.isClosed) c.unblock();
      const after = this.afterBusy.splice(0);
      for (const fn of after) fn();
    }
  }

  /** luaCallFunction's error reply: {err, source, line} → "<err> script: <name>, on <source>:<line>." */
  private replyError(T: LuaState, idx: number, run: ScriptRun): void {
    const c = run.caller;
    if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) {
      const msg = lua.lua_isstring(T, idx) ? luaBytes.get(T, idx)! : "execution failure";
      c.reply.error(`ERR Error running script ${run.funcName}, ${msg.slice(0, 100)}`);
      return;
    }
    const t = lua.lua_absindex(T, idx);
    const field = (name: string): string | null => {
      lua.lua_getfield(T, t, name);
      const v = lua.lua_isstring(T, -1) ? luaBytes.get(T, -1) : null;
      lua.lua_pop(T, 1);
      return v;
    };
    let msg = field("err") ?? "";
    const source = field("source");
    const line = field("line");
    if (source !== null && line !== null) msg += ` script: ${run.funcName}, on ${source}:${line}.`;
    c.reply.error(msg.startsWith("-") ? msg.slice(1) : msg);
  }

  /** The count hook: notices a slow script and, past the threshold, yields to the event loop. */
  private hook(T: LuaState): void {
    const run = this.current;
    if (run === null) return;
    if (!run.timedOut) {
      const threshold = this.server.busyReplyThreshold;
      if (threshold <= 0 || performance.now() - run.startedAt < threshold) return;
      run.timedOut = true;
      this.server.busyScript = run;
      this.server.log.warn(
        `Slow script detected: still in execution after ${Math.round(performance.now() - run.startedAt)} milliseconds. You can try killing the script using the ${run.isEval ? "SCRIPT KILL" : "FUNCTION KILL"} command. Script name is: ${run.funcName}.`,
      );
    }
    if (T === run.thread && run.canYield && lua.lua_isyieldable(T)) lua.lua_yield(T, 0);
  }

  /** Redis's scriptKill: SCRIPT KILL (isEval) and FUNCTION KILL. */
  kill(c: Client, isEval: boolean): void {
    const run = this.current;
    if (run === null) {
      c.reply.error("NOTBUSY No scripts in execution right now.");
      return;
    }
    if (run.caller.flags & ClientFlag.MASTER) {
      c.reply.error(
        "UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.",
      );
      return;
    }
    if (run.writeDirty) {
      c.reply.error(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
      );
      return;
    }
    if (isEval && !run.isEval) {
      c.reply.error(ERR_BUSY_FUNCTION);
      return;
    }
    if (!isEval && run.isEval) {
      c.reply.error(ERR_BUSY_EVAL);
      return;
    }
    run.killed = true;
    c.reply.ok();
  }

  // ─── the EVAL script cache ─────────────────────────────────────────────────────────────────────────

  /**
   * Redis's luaCreateFunction: compiles a script body into the cache (once per SHA1). Replies the error
   * and returns null on failure.
   */
  createEvalScript(c: Client | null, body: string): { sha: string; script: EvalScript } | null {
    const sha = sha1hex(body);
    const known = this.scripts.get(sha);
    if (known !== undefined) return { sha, script: known };
    const sb = extractShebangFlags(body);
    if (typeof sb === "string") {
      c?.reply.error(`ERR ${sb}`);
      return null;
    }
    const L = this.evalRt.L;
    const err = this.evalRt.load(L, body.slice(sb.shebangLen), "@user_script");
    if (err !== null) {
      c?.reply.error(`ERR Error compiling script (new function): ${compileError(err)}`);
      return null;
    }
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    const script = { body, flags: sb.flags, ref };
    this.scripts.set(sha, script);
    return { sha, script };
  }

  /** SCRIPT FLUSH: a fresh interpreter, an empty cache (Redis's scriptingReset). */
  flushEvalScripts(): void {
    this.scripts.clear();
    const rand = this.evalRt.rand;
    this.evalRt = this.newRuntime("eval");
    this.evalRt.rand = rand;
  }

  /** processCommand's flags for a SCRIPT_RUNNER command (EVAL*, FCALL*): what the script declared. */
  commandFlags(cmd: RegisteredCommand, argv: string[], flags: number): number {
    if (argv.length < 2) return flags;
    const name = cmd.spec.name;
    if (name === "fcall" || name === "fcall_ro") return this.functionCommandFlags?.(argv, flags) ?? flags;
    return this.evalCommandFlags(argv, flags, name === "evalsha" || name === "evalsha_ro");
  }

  /** Set by the functions module: FCALL's flags from the called function's flags. */
  functionCommandFlags: ((argv: string[], flags: number) => number) | null = null;

  /** Redis's evalGetCommandFlags: the flags EVAL/EVALSHA run with once the script's shebang is known. */
  evalCommandFlags(argv: string[], cmdFlags: number, isSha: boolean): number {
    let scriptFlags: number;
    if (isSha) {
      if (argv[1].length !== 40) return cmdFlags;
      const s = this.scripts.get(argv[1].toLowerCase());
      if (s === undefined) return cmdFlags;
      scriptFlags = s.flags;
    } else {
      const s = this.scripts.get(sha1hex(argv[1]));
      if (s !== undefined) scriptFlags = s.flags;
      else {
        const sb = extractShebangFlags(argv[1]);
        if (typeof sb === "string") return cmdFlags;
        scriptFlags = sb.flags;
      }
    }
    if (scriptFlags & ScriptFlag.EVAL_COMPAT_MODE) return cmdFlags;
    return scriptFlagsToCmdFlags(cmdFlags, scriptFlags);
  }
}

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────────

/** Lua 5.1 quotes every token in "near ..." (5.3 leaves <eof>, <name>... bare). */
export function compileError(msg: string): string {
  return msg.replace(/ near (<[a-z]+>)$/, " near '$1'");
}

/** luaPushError + luaError: raises {err="ERR <msg>"}. */
function raiseError(L: LuaState, msg: string): never {
  pushErrorTable(L, msg);
  return lua.lua_error(L);
}

/** fengari's table object, as lua_topointer returns it. */
interface FengariTable {
  strong: Map<unknown, unknown>;
  metatable: unknown;
}

/**
 * Sets the KEYS or ARGV global to items[from..to), refilling the table the last EVAL had rather than
 * making a new one (two tables per EVAL were a good part of its allocations). Nothing an EVAL script can
 * do shows the difference: Redis 7's globals and libraries are read-only, so no script can keep the
 * table past its own run (unlike a function library's upvalues, which is why FCALL gets new tables), and
 * a table the script changed beyond its values — a metatable set, keys added — is replaced by a new one.
 */
function setEvalArray(
  rt: LuaRuntime,
  nameRef: number,
  arr: ReusedArray,
  items: string[],
  from: number,
  to: number,
): void {
  const L = rt.L;
  const n = to - from;
  rt.beginRawGlobal(nameRef);
  if (arr.ref !== 0) {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, arr.ref);
    const t = lua.lua_topointer(L, -1) as FengariTable;
    if (t.metatable === null) {
      for (let i = from; i < to; i++) {
        luaBytes.pushOwned(L, luaBytes.fromLatin1Tagged(items[i]));
        lua.lua_rawseti(L, -2, i - from + 1);
      }
      for (let i = n + 1; i <= arr.size; i++) {
        lua.lua_pushnil(L);
        lua.lua_rawseti(L, -2, i);
      }
      if (t.strong.size === n) {
        arr.size = n;
        rt.endRawGlobal();
        return;
      }
    }
    lua.lua_pop(L, 1);
    lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, arr.ref);
    arr.ref = 0;
  }
  pushArray(L, items, from, to);
  lua.lua_pushvalue(L, -1);
  arr.ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  arr.size = n;
  rt.endRawGlobal();
}

/** Pushes a new Lua array of items[from..to). */
function pushArray(L: LuaState, items: string[], from: number, to: number): void {
  lua.lua_createtable(L, to - from, 0);
  for (let i = from; i < to; i++) {
    luaBytes.pushOwned(L, luaBytes.fromLatin1Tagged(items[i]));
    lua.lua_rawseti(L, -2, i - from + 1);
  }
}

/** Redis's luaArgsToRedisArgv: strings as they are, numbers with "%.17g"; an error text otherwise. */
function argsToArgv(L: LuaState): string[] | string {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return "Please specify at least one argument for this redis lib call";
  const argv = new Array<string>(argc);
  for (let j = 1; j <= argc; j++) {
    const t = lua.lua_type(L, j);
    if (t === lua.LUA_TNUMBER) argv[j - 1] = numberArg(lua.lua_tonumber(L, j));
    else if (t === lua.LUA_TSTRING) {
      argv[j - 1] = luaBytes.toLatin1Cached(lua.lua_tolstring(L, j)!);
    } else return "Lua redis lib command arguments must be strings or integers";
  }
  return argv;
}

/**
 * Lua run once per state after the libraries: Redis's pcall (an error table becomes its message, as
 * Redis 7 does for compatibility) and its error handler, which records where the error happened; then
 * `debug` goes away, as in Redis.
 */
const SETUP_LUA = `
local native_pcall, type = pcall, type
local function finish(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then return false, m end
  end
  return false, e
end
pcall = function(...) return finish(native_pcall(...)) end
local dbg = debug
debug = nil
function __redis__err__handler(err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'J' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
`;
