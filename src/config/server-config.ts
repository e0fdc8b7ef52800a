import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { globMatch } from "../command-table/glob-match.js";
import { strerror } from "../net/strerror.js";
import { splitArgs } from "../resp/request-parser.js";
import { ConfigError } from "./config-error.js";
import {
  canonicalName,
  DIRECTIVES,
  isEffective,
  parseDirectiveValue,
  parseNoEffectValue,
} from "./config-schema.js";
import { REDIS_70_DEFAULTS } from "./redis-defaults.js";

/**
 * A server's configuration: every Redis 7.0 parameter by canonical name, in CONFIG GET form. Loaded from
 * redis.conf syntax (files, `include`, command-line `--name value` overrides) and changed by CONFIG SET.
 * Listeners registered with `onChange` keep the server's cached typed values current.
 */

export interface Directive {
  name: string;
  args: string[];
  file: string;
  line: number;
}

// ─── reading redis.conf text ─────────────────────────────────────────────────────────────────────────────

/** Splits redis.conf text into directives; `include` lines are expanded relative to the including file. */
export function parseConfigText(text: string, file: string, depth = 0): Directive[] {
  const out: Directive[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const args = splitArgs(raw);
    if (args === null) throw new ConfigError("Unbalanced quotes in configuration line", file, i + 1);
    if (args.length === 0) continue;
    const name = args[0].toLowerCase();
    if (name === "include") {
      if (args.length !== 2) throw new ConfigError("include takes one file name", file, i + 1);
      if (depth > 16) throw new ConfigError("include nesting too deep", file, i + 1);
      const path = isAbsolute(args[1]) ? args[1] : resolve(dirname(file), args[1]);
      let inner: string;
      try {
        inner = readFileSync(path, "latin1");
      } catch (err) {
        throw new ConfigError(`cannot read included file ${args[1]}: ${(err as Error).message}`, file, i + 1);
      }
      out.push(...parseConfigText(inner, path, depth + 1));
      continue;
    }
    out.push({ name, args: args.slice(1), file, line: i + 1 });
  }
  return out;
}

/**
 * Turns `--port 7000 --save "" --replicaof 127.0.0.1 6379` into directives, as redis-server does: each
 * `--name` starts a new line and the following words are its arguments.
 */
export function parseCommandLineDirectives(argv: readonly string[]): Directive[] {
  const out: Directive[] = [];
  let cur: Directive | null = null;
  for (const a of argv) {
    if (a.startsWith("--") && a.length > 2) {
      cur = { name: a.slice(2).toLowerCase(), args: [], file: "(command line)", line: out.length + 1 };
      out.push(cur);
    } else if (cur) {
      cur.args.push(a);
    } else {
      throw new ConfigError(`unexpected argument '${a}' (directives are given as --name value)`);
    }
  }
  return out;
}

/** No-effect list parameters whose CONFIG SET value is split on spaces. */
const NO_EFFECT_SPLIT = new Set(["oom-score-adj-values", "ignore-warnings"]);

// ─── the configuration object ─────────────────────────────────────────────────────────────────────────────

export class ServerConfig {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Map<string, ((value: string) => void)[]>();
  /** Apply functions by the name directives give in `apply` (see DirectiveSpec.apply). */
  private readonly appliers = new Map<string, () => string | null>();
  /** Parameters set from a file or the command line that Tandem keeps but does not act on. */
  readonly ignored = new Set<string>();
  /** The file it was loaded from, for CONFIG REWRITE. */
  file: string | null = null;
  /** `user <name> <rules...>` lines, applied by the ACL at start-up (they are not parameters). */
  readonly users: Directive[] = [];
  /** `rename-command <name> <new-name|"">` lines, applied to the command table at start-up. */
  readonly renameCommands: Directive[] = [];
  /**
   * The `user` lines CONFIG REWRITE writes (the ACL sets it: the current users, or none with an aclfile);
   * null keeps the file's user lines as they are.
   */
  userLines: (() => string[]) | null = null;

  constructor() {
    for (const [name, value] of Object.entries(REDIS_70_DEFAULTS)) this.values.set(name, value);
    for (const spec of new Set(DIRECTIVES.values())) this.values.set(spec.name, spec.default);
  }

  /** Loads a file (optional) then command-line directives. Throws ConfigError naming file and line. */
  static load(file: string | null, commandLine: readonly string[] = []): ServerConfig {
    const cfg = new ServerConfig();
    const directives: Directive[] = [];
    if (file !== null) {
      let text: string;
      try {
        text = readFileSync(file, "latin1");
      } catch (err) {
        throw new ConfigError(`Fatal error, can't open config file '${file}': ${strerror(err)}`);
      }
      cfg.file = resolve(file);
      directives.push(...parseConfigText(text, file));
    }
    directives.push(...parseCommandLineDirectives(commandLine));
    for (const d of directives) cfg.applyDirective(d);
    return cfg;
  }

  applyDirective(d: Directive): void {
    // Not parameters: kept for the ACL and the command table, which check them at start-up (as Redis,
    // which also defers them until its command table and modules are ready).
    if (d.name === "user" && d.args.length >= 1) {
      this.users.push(d);
      return;
    }
    if (d.name === "rename-command" && d.args.length === 2) {
      this.renameCommands.push(d);
      return;
    }
    const canonical = canonicalName(d.name);
    if (canonical === undefined) {
      throw new ConfigError(`Bad directive or wrong number of arguments: '${d.name}'`, d.file, d.line);
    }
    if (!isEffective(canonical)) {
      try {
        this.values.set(canonical, parseNoEffectValue(canonical, d.args));
      } catch (reason) {
        if (typeof reason !== "string") throw reason;
        throw new ConfigError(`'${d.name} ${d.args.join(" ")}': ${reason}`, d.file, d.line);
      }
      this.ignored.add(canonical);
      return;
    }
    const spec = DIRECTIVES.get(canonical)!;
    // Redis 7 splits the one non-empty argument of a multi-argument directive on spaces, so
    // `--save "1 1"` (or `save "900 1 300 10"` in a file) is two points, not an odd argument count.
    const args =
      spec.accumulate && d.args.length === 1 && d.args[0] !== "" ? (splitArgs(d.args[0]) ?? d.args) : d.args;
    try {
      this.set(canonical, parseDirectiveValue(spec, args, this.values.get(canonical) ?? "", true));
    } catch (reason) {
      if (typeof reason !== "string") throw reason;
      throw new ConfigError(`'${d.name} ${d.args.join(" ")}': ${reason}`, d.file, d.line);
    }
  }

  // ─── access ──────────────────────────────────────────────────────────────────────────────────────────

  get(name: string): string {
    const canonical = canonicalName(name) ?? name;
    return this.values.get(canonical) ?? "";
  }

  getInt(name: string): number {
    return Number(this.get(name));
  }

  getBool(name: string): boolean {
    return this.get(name) === "yes";
  }

  /** Sets a canonical value and tells listeners. */
  set(canonical: string, value: string): void {
    this.values.set(canonical, value);
    for (const fn of this.listeners.get(canonical) ?? []) fn(value);
  }

  /** Calls `fn` now and whenever the parameter changes. */
  onChange(name: string, fn: (value: string) => void): void {
    const canonical = canonicalName(name) ?? name;
    const list = this.listeners.get(canonical) ?? [];
    list.push(fn);
    this.listeners.set(canonical, list);
    fn(this.get(canonical));
  }

  /**
   * Installs what CONFIG SET runs after changing a directive whose spec names `name` as its `apply`:
   * it returns null, or the reason the new values cannot be used (they are then all rolled back).
   */
  setApplier(name: string, fn: () => string | null): void {
    this.appliers.set(name, fn);
  }

  // ─── CONFIG GET / SET ────────────────────────────────────────────────────────────────────────────────

  /** Name/value pairs matching any of the glob patterns, each name once (CONFIG GET). */
  match(patterns: readonly string[]): [string, string][] {
    const out = new Map<string, string>();
    const names = new Set<string>([...this.values.keys()]);
    for (const spec of DIRECTIVES.values()) for (const a of spec.aliases ?? []) names.add(a);
    for (const p of patterns) {
      // Matched without case but not lowered first: as in Redis, `\X` inside a class stays case-sensitive.
      for (const n of names) {
        if (!out.has(n) && globMatch(p, n, true)) out.set(n, this.get(n));
      }
    }
    return [...out];
  }

  /**
   * CONFIG SET name value [name value ...], all or nothing. Returns null on success or Redis's error text
   * ("ERR CONFIG SET failed (possibly related to argument 'x') - reason").
   */
  configSet(pairs: readonly [string, string][]): string | null {
    const planned: [string, string][] = [];
    for (const [name, value] of pairs) {
      const canonical = canonicalName(name);
      if (canonical === undefined)
        return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (!isEffective(canonical)) {
        try {
          const args = NO_EFFECT_SPLIT.has(canonical) ? value.split(" ") : [value];
          planned.push([canonical, parseNoEffectValue(canonical, args)]);
        } catch (reason) {
          if (typeof reason !== "string") throw reason;
          return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
        }
        continue;
      }
      const spec = DIRECTIVES.get(canonical)!;
      if (!spec.runtime) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
      }
      const args = spec.kind === "special" ? (value === "" ? [""] : value.split(" ")) : [value];
      try {
        planned.push([canonical, parseDirectiveValue(spec, args, this.get(canonical), false)]);
      } catch (reason) {
        if (typeof reason !== "string") throw reason;
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
      }
    }
    // Set everything, then apply (Redis's configSetCommand): each apply function runs once, for the
    // parameters that changed or are volatile; a failure restores every old value and re-applies them.
    const old = planned.map(([canonical]) => [canonical, this.get(canonical)] as const);
    const toApply: [string, string][] = [];
    for (const [canonical, value] of planned) {
      const spec = DIRECTIVES.get(canonical);
      const changed = this.get(canonical) !== value;
      this.set(canonical, value);
      if (spec?.apply === undefined || (!changed && !spec.volatile)) continue;
      if (!toApply.some(([applier]) => applier === spec.apply)) toApply.push([spec.apply, canonical]);
    }
    for (const [applier, canonical] of toApply) {
      const reason = this.appliers.get(applier)?.() ?? null;
      if (reason === null) continue;
      for (const [name, value] of old) this.set(name, value);
      for (const [again] of toApply) this.appliers.get(again)?.();
      return `ERR CONFIG SET failed (possibly related to argument '${canonical}') - ${reason}`;
    }
    return null;
  }

  /** Every canonical parameter with its value (CONFIG REWRITE, tests). */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}
