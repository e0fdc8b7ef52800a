import { CommandFlag, lookupCommand } from "../command-table/index.js";

/**
 * How the proxy handles a command, derived once per command name from the shared command table and
 * cached: the hot path costs one Map lookup on the name as the client spelled it. `Route` is a closed
 * union, so a `switch` over it is checked for exhaustiveness (see Session.dispatch).
 */
export const Route = {
  /** Writes, unknown commands, admin commands, scripts, anything not known to be a pure read. */
  MASTER: 0,
  /** Read-only: an eligible replica by policy (and the session's consistency level). */
  READ: 1,
  /** SCAN, SSCAN, HSCAN, ZSCAN: a read whose cursor must stay on the backend that issued it. */
  SCAN: 2,
  /** Answered or interpreted by the proxy itself: the handler table in local-commands.ts. */
  LOCAL: 3,
  MULTI: 4,
  EXEC: 5,
  DISCARD: 6,
  WATCH: 7,
  UNWATCH: 8,
  /** Blocking commands (BLPOP, BZPOPMIN, XREAD, WAIT, ...): a dedicated master connection while they run. */
  BLOCKING: 9,
  /** SUBSCRIBE & co. and MONITOR: the session becomes a tunnel to a dedicated master connection. */
  TUNNEL: 10,
  /** SCRIPT, EVAL, EVALSHA: to the master, with the script cache's bookkeeping (script-cache.ts). */
  SCRIPT: 11,
  /** EVAL_RO, EVALSHA_RO: reads, with the script loaded on the replica first when it may lack it. */
  SCRIPT_READ: 12,
} as const;

export type Route = (typeof Route)[keyof typeof Route];

/** Commands the proxy answers or interprets itself (their handlers: local-commands.ts). */
export const LOCAL_COMMAND_NAMES = [
  "ping",
  "quit",
  "auth",
  "hello",
  "select",
  "client",
  "reset",
  "proxy",
] as const;
export type LocalCommandName = (typeof LOCAL_COMMAND_NAMES)[number];

const SPECIAL: Record<string, Route> = {
  multi: Route.MULTI,
  exec: Route.EXEC,
  discard: Route.DISCARD,
  watch: Route.WATCH,
  unwatch: Route.UNWATCH,
  scan: Route.SCAN,
  sscan: Route.SCAN,
  hscan: Route.SCAN,
  zscan: Route.SCAN,
  subscribe: Route.TUNNEL,
  psubscribe: Route.TUNNEL,
  ssubscribe: Route.TUNNEL,
  unsubscribe: Route.TUNNEL,
  punsubscribe: Route.TUNNEL,
  sunsubscribe: Route.TUNNEL,
  monitor: Route.TUNNEL,
  script: Route.SCRIPT,
  eval: Route.SCRIPT,
  evalsha: Route.SCRIPT,
  eval_ro: Route.SCRIPT_READ,
  evalsha_ro: Route.SCRIPT_READ,
  // Tandem's and Redis's waits block the connection they run on although not flagged blocking.
  waitoffset: Route.BLOCKING,
  waitaof: Route.BLOCKING,
};
for (const n of LOCAL_COMMAND_NAMES) SPECIAL[n] = Route.LOCAL;

function classify(lower: string): Route {
  const special = SPECIAL[lower];
  if (special !== undefined) return special;
  const spec = lookupCommand(lower);
  if (spec === undefined) return Route.MASTER;
  const f = spec.flags;
  if (f & CommandFlag.BLOCKING) return Route.BLOCKING;
  if (f & CommandFlag.READONLY && !(f & (CommandFlag.ADMIN | CommandFlag.WRITE))) return Route.READ;
  return Route.MASTER;
}

/**
 * Names cached as spelled, in an object owned by whoever routes (one per process is plenty); bounded so
 * garbage names from a client cannot grow it forever.
 */
export class RouteCache {
  private readonly cache = new Map<string, Route>();
  constructor(private readonly max = 4096) {}

  /** The route of a command name in any letter case. */
  routeOf(name: string): Route {
    let r = this.cache.get(name);
    if (r === undefined) {
      r = classify(name.toLowerCase());
      if (this.cache.size < this.max) this.cache.set(name, r);
    }
    return r;
  }
}

/** The route of a command name, uncached (tests, and callers off the hot path). */
export function routeOf(name: string): Route {
  return classify(name.toLowerCase());
}
