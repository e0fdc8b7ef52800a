/**
 * Command flags as bits, named after Redis's CMD_* flags (server.h). The table is built from Redis's own
 * command metadata, whose flag names are the lowercase strings on the right.
 */
export const CommandFlag = {
  WRITE: 1 << 0,
  READONLY: 1 << 1,
  DENYOOM: 1 << 2,
  ADMIN: 1 << 3,
  PUBSUB: 1 << 4,
  NOSCRIPT: 1 << 5,
  BLOCKING: 1 << 6,
  LOADING: 1 << 7,
  STALE: 1 << 8,
  SKIP_MONITOR: 1 << 9,
  SKIP_SLOWLOG: 1 << 10,
  FAST: 1 << 11,
  NO_AUTH: 1 << 12,
  MAY_REPLICATE: 1 << 13,
  MOVABLEKEYS: 1 << 14,
  NO_MULTI: 1 << 15,
  ALLOW_BUSY: 1 << 16,
  NO_MANDATORY_KEYS: 1 << 17,
  NO_ASYNC_LOADING: 1 << 18,
  ASKING: 1 << 19,
  SCRIPT_RUNNER: 1 << 20,
  MODULE: 1 << 21,
  /** Tandem's own (not from Redis's metadata): the command is a Tandem extension such as WAITOFFSET. */
  TANDEM: 1 << 22,
} as const;

export type CommandFlagName = keyof typeof CommandFlag;

const byRedisName: Record<string, number> = {};
for (const [name, bit] of Object.entries(CommandFlag)) byRedisName[name.toLowerCase()] = bit;

/** Turns Redis metadata flag names ("write", "denyoom", ...) into a bit set; unknown names are ignored. */
export function flagsFromNames(names: readonly string[]): number {
  let bits = 0;
  for (const n of names) bits |= byRedisName[n] ?? 0;
  return bits;
}

/** The lowercase Redis names of the bits that are set, in bit order (as COMMAND INFO prints them). */
export function flagNames(bits: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(CommandFlag)) {
    if (bits & bit && bit !== CommandFlag.TANDEM) out.push(name.toLowerCase());
  }
  return out;
}
