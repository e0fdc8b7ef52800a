import data from "./redis-command-meta.json" with { type: "json" };

/**
 * What Redis 7.0 itself says about each command in COMMAND INFO and COMMAND DOCS: flags in the order
 * redis-server prints them, ACL categories, tips, key specs, and the factual parts of the docs (group,
 * since, arguments). redis-command-meta.json is generated from a running redis-server 7.0 by
 * test/tools/gen-command-meta.ts, never edited by hand; the prose of COMMAND DOCS is not in it.
 */

/** begin_search: ["index", pos] | ["keyword", keyword, startfrom] | ["unknown"]. */
export type BeginSearch = ["index", number] | ["keyword", string, number] | ["unknown"];
/** find_keys: ["range", lastkey, keystep, limit] | ["keynum", keynumidx, firstkey, keystep] | ["unknown"]. */
export type FindKeys = ["range", number, number, number] | ["keynum", number, number, number] | ["unknown"];

export interface KeySpec {
  readonly flags: readonly string[];
  readonly notes?: string;
  readonly bs: BeginSearch;
  readonly fk: FindKeys;
}

export interface DocArg {
  readonly name: string;
  readonly type: string;
  readonly key_spec_index?: number;
  readonly token?: string;
  readonly since?: string;
  readonly deprecated_since?: string;
  readonly flags?: readonly string[];
  readonly arguments?: readonly DocArg[];
}

export interface CommandDocs {
  readonly group: string;
  readonly since?: string;
  readonly doc_flags?: readonly string[];
  readonly deprecated_since?: string;
  readonly replaced_by?: string;
  readonly arguments?: readonly DocArg[];
}

export interface RedisCommandMeta {
  readonly arity: number;
  readonly flags: readonly string[];
  readonly first: number;
  readonly last: number;
  readonly step: number;
  readonly acl: readonly string[];
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  readonly docs: CommandDocs;
  readonly subcommands?: Readonly<Record<string, RedisCommandMeta>>;
}

const all = data as unknown as {
  redisVersion: string;
  commands: Record<string, RedisCommandMeta>;
};

/** The Redis version the metadata was taken from. */
export const META_REDIS_VERSION: string = all.redisVersion;

/** Redis 7.0's metadata of a command ("get") or subcommand ("config|get"); undefined if Redis 7.0 lacks it. */
export function redisCommandMeta(fullName: string): RedisCommandMeta | undefined {
  const bar = fullName.indexOf("|");
  if (bar < 0) return Object.hasOwn(all.commands, fullName) ? all.commands[fullName] : undefined;
  const parent = redisCommandMeta(fullName.slice(0, bar));
  const sub = fullName.slice(bar + 1);
  return parent?.subcommands && Object.hasOwn(parent.subcommands, sub) ? parent.subcommands[sub] : undefined;
}
