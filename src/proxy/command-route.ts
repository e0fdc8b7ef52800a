import { CommandFlag, lookupCommand } from "../commands/index.js";

/**
 * How the proxy handles a command, derived once per command name from the shared command table and
 * cached: the hot path costs one Map lookup on the name as the client spelled it.
 */
export const Route = {
  /** Writes, unknown commands, admin commands, scripts, anything not known to be a pure read. */
  MASTER: 0,
  /** Read-only: an eligible replica by policy. */
  READ: 1,
  /** SCAN, SSCAN, HSCAN, ZSCAN: a read whose cursor must stay on the backend that issued it. */
  SCAN: 2,
  PING: 3,
  QUIT: 4,
  AUTH: 5,
  HELLO: 6,
  SELECT: 7,
  /** CLIENT: SETNAME/GETNAME are session state, REPLY would break reply matching, the rest → master. */
  CLIENT: 8,
  MULTI: 9,
  EXEC: 10,
  DISCARD: 11,
  WATCH: 12,
  UNWATCH: 13,
  /** Blocking commands (BLPOP, BZPOPMIN, XREAD, WAIT, ...): a dedicated master connection while they run. */
  BLOCKING: 14,
  /** SUBSCRIBE & co. and MONITOR: the session becomes a tunnel to a dedicated master connection. */
  TUNNEL: 15,
  RESET: 16,
} as const;

const SPECIAL: Record<string, number> = {
  ping: Route.PING,
  quit: Route.QUIT,
  auth: Route.AUTH,
  hello: Route.HELLO,
  select: Route.SELECT,
  client: Route.CLIENT,
  multi: Route.MULTI,
  exec: Route.EXEC,
  discard: Route.DISCARD,
  watch: Route.WATCH,
  unwatch: Route.UNWATCH,
  reset: Route.RESET,
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
  // Tandem's and Redis's waits block the connection they run on although not flagged blocking.
  waitoffset: Route.BLOCKING,
  waitaof: Route.BLOCKING,
};

function classify(lower: string): number {
  const special = SPECIAL[lower];
  if (special !== undefined) return special;
  const spec = lookupCommand(lower);
  if (spec === undefined) return Route.MASTER;
  const f = spec.flags;
  if (f & CommandFlag.BLOCKING) return Route.BLOCKING;
  if (f & CommandFlag.READONLY && !(f & (CommandFlag.ADMIN | CommandFlag.WRITE))) return Route.READ;
  return Route.MASTER;
}

const cache = new Map<string, number>();
/** Names cached as spelled; bounded so garbage names from a client cannot grow it forever. */
const CACHE_MAX = 4096;

/** The route of a command name in any letter case. */
export function routeOf(name: string): number {
  let r = cache.get(name);
  if (r === undefined) {
    r = classify(name.toLowerCase());
    if (cache.size < CACHE_MAX) cache.set(name, r);
  }
  return r;
}
