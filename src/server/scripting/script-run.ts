import type { Client } from "../client.js";
import type { LuaState } from "./fengari-vm.js";

/** Script flags (Redis's SCRIPT_FLAG_*), from a shebang or redis.register_function. */
export const ScriptFlag = {
  NO_WRITES: 1 << 0,
  ALLOW_OOM: 1 << 1,
  ALLOW_STALE: 1 << 2,
  NO_CLUSTER: 1 << 3,
  /** EVAL without a shebang: Redis 6 behaviour (no flags declared, writes decided command by command). */
  EVAL_COMPAT_MODE: 1 << 4,
  ALLOW_CROSS_SLOT: 1 << 5,
} as const;

/** The flag names of shebangs and register_function, in Redis's order. */
export const SCRIPT_FLAG_NAMES: readonly [string, number][] = [
  ["no-writes", ScriptFlag.NO_WRITES],
  ["allow-oom", ScriptFlag.ALLOW_OOM],
  ["allow-stale", ScriptFlag.ALLOW_STALE],
  ["no-cluster", ScriptFlag.NO_CLUSTER],
  ["allow-cross-slot-keys", ScriptFlag.ALLOW_CROSS_SLOT],
];

/**
 * One script execution (Redis's scriptRunCtx): who called it, the client its commands run as, what it
 * may do and what it did. Lives from EVAL/FCALL until the reply is written — across event-loop turns
 * when a slow script yields (see ScriptingEngine).
 */
export class ScriptRun {
  /** Set when the script may not write (EVAL_RO/FCALL_RO, or the no-writes flag). */
  readOnly = false;
  /** A write command ran: SCRIPT KILL answers -UNKILLABLE from now on. */
  writeDirty = false;
  killed = false;
  /** Past busy-reply-threshold: other clients get -BUSY. */
  timedOut = false;
  /** The protocol redis.call replies come in (redis.setresp). */
  resp: 2 | 3 = 2;
  /** redis.set_repl: REPL_ALL (3) by default. */
  replFlags = 3;
  readonly startedAt = performance.now();
  /** It yielded at least once: the caller is blocked and the propagation unit is held open. */
  suspended = false;

  constructor(
    readonly caller: Client,
    /** "f_<sha>"'s sha for EVAL, the function name for FCALL (error messages, logs). */
    readonly funcName: string,
    readonly isEval: boolean,
    /** The coroutine the script runs in (the count hook yields only this one). */
    readonly thread: LuaState,
    /** False when the caller cannot wait across turns (MULTI, the master link, AOF loading). */
    readonly canYield: boolean,
  ) {}
}
