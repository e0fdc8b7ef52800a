import { createRequire } from "node:module";
import { aclCategoriesFromNames, implicitAclCategories } from "./acl-categories.js";
import { CommandFlag, flagsFromNames } from "./command-flags.js";
import { redisCommandMeta } from "./command-meta.js";
import { type KeySpec, keySpecFromMeta, legacyRangeKeySpec } from "./key-specs.js";

/**
 * ONE command table for the server's dispatcher and the proxy's router: name → arity, flags, key positions,
 * subcommands. It is generated at load time from Redis's command metadata as packaged by
 * @ioredis/commands (never typed by hand), plus Tandem's own extensions below.
 *
 * Arity follows Redis: positive = exactly that many arguments including the name, negative = at least
 * |arity|. Key positions: firstKey..lastKey step `step` (lastKey negative counts from the end); commands
 * flagged MOVABLEKEYS find their keys with `getKeys`.
 *
 * @ioredis/commands keeps only what the legacy COMMAND fields say; the ACL categories and the key specs
 * (with their read/write flags) come from command-meta.ts (redis-command-meta.json, generated from Redis
 * 7.0's COMMAND and COMMAND DOCS replies). `inRedis70` says whether a command is in that metadata: the ACL knows exactly
 * Redis 7.0's commands (plus the ones Tandem registers), so its answers match Redis's.
 */

export interface CommandSpec {
  /** Lowercase name; for a subcommand, the subcommand alone ("get"). */
  readonly name: string;
  /** "config|get" for subcommands, the name otherwise: what Redis prints in errors. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: number;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly subcommands: ReadonlyMap<string, CommandSpec> | null;
  readonly parent: CommandSpec | null;
  /** ACL category bits (acl-categories.ts), Redis 7.0's; implied by the flags for commands it lacks. */
  readonly aclCategories: number;
  /** Redis 7.0's key specs; a flagless range from firstKey/lastKey/step for commands it lacks. */
  readonly keySpecs: readonly KeySpec[];
  /** Described by Redis 7.0's metadata. */
  readonly inRedis70: boolean;
  /** Index of the command's bit in an ACL selector's command bitmap (unique over the table). */
  readonly aclId: number;
}

interface RawCommand {
  arity: number;
  flags: string[];
  keyStart: number;
  keyStop: number;
  step: number;
  subcommands?: Record<string, RawCommand>;
}

// ─── Tandem's extensions ───────────────────────────────────────────────────────────────────────────────

const EXTENSIONS: Record<string, RawCommand> = {
  // WAITOFFSET <offset> <timeout-ms>: wait until this node's replication offset reaches <offset>.
  waitoffset: { arity: 3, flags: ["noscript", "loading", "stale"], keyStart: 0, keyStop: 0, step: 0 },
};

const TANDEM_ONLY = new Set(Object.keys(EXTENSIONS));

// ─── building the table ───────────────────────────────────────────────────────────────────────────────

const nextAclId = { value: 0 };

function build(name: string, raw: RawCommand, parent: CommandSpec | null): CommandSpec {
  let flags = flagsFromNames(raw.flags);
  if (TANDEM_ONLY.has(name) && parent === null) flags |= CommandFlag.TANDEM;
  const fullName = parent ? `${parent.name}|${name}` : name;
  const meta = redisCommandMeta(fullName);
  const legacy = legacyRangeKeySpec(raw.keyStart, raw.keyStop, raw.step);
  const spec: {
    -readonly [K in keyof CommandSpec]: CommandSpec[K];
  } = {
    name,
    fullName,
    arity: raw.arity,
    flags,
    firstKey: raw.keyStart,
    lastKey: raw.keyStop,
    step: raw.step,
    subcommands: null,
    parent,
    aclCategories: meta
      ? aclCategoriesFromNames(meta.acl.join(" ").replaceAll("@", ""))
      : implicitAclCategories(flags),
    keySpecs: meta ? meta.keySpecs.map(keySpecFromMeta) : legacy ? [legacy] : [],
    inRedis70: meta !== undefined,
    aclId: nextAclId.value++,
  };
  if (raw.subcommands) {
    const subs = new Map<string, CommandSpec>();
    for (const [sub, rawSub] of Object.entries(raw.subcommands)) subs.set(sub, build(sub, rawSub, spec));
    spec.subcommands = subs;
  }
  return spec;
}

function loadTable(): Map<string, CommandSpec> {
  const require = createRequire(import.meta.url);
  const raw = require("@ioredis/commands/built/commands.json") as Record<string, RawCommand>;
  const table = new Map<string, CommandSpec>();
  for (const [name, cmd] of Object.entries(raw)) table.set(name, build(name, cmd, null));
  for (const [name, cmd] of Object.entries(EXTENSIONS)) table.set(name, build(name, cmd, null));
  return table;
}

export const commandTable: ReadonlyMap<string, CommandSpec> = loadTable();

// ─── lookups ──────────────────────────────────────────────────────────────────────────────────────────

/** Looks a command up by name in any letter case. */
export function lookupCommand(name: string): CommandSpec | undefined {
  return commandTable.get(name) ?? commandTable.get(name.toLowerCase());
}

/** True when `argc` (name included) satisfies the arity. */
export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
}
