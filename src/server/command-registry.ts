import { type CommandSpec, commandTable } from "../command-table/command-table.js";
import type { Client } from "./client.js";
import { LatencyHistogram } from "./latency-histogram.js";

/**
 * The server's implemented commands: each is a spec from the shared command table plus a handler.
 * Families (strings, lists, server, ...) each export a `CommandDef[]`; the registry checks every one
 * against the table, so a typo or a command missing from Redis's metadata fails at start-up.
 *
 * Anything not registered here answers `-ERR unknown command`, whatever the table says.
 */

export type CommandHandler = (c: Client, argv: string[]) => void;

export interface CommandDef {
  name: string;
  handler?: CommandHandler;
  /** For container commands (CONFIG, CLIENT, ...): subcommand name → handler. */
  subcommands?: Record<string, CommandHandler>;
}

export class RegisteredCommand {
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  /** latency-tracking's histogram, from the first call on (LATENCY HISTOGRAM). */
  latencyHistogram: LatencyHistogram | null = null;

  constructor(
    readonly spec: CommandSpec,
    readonly handler: CommandHandler | null,
    readonly subcommands: Map<string, RegisteredCommand> | null,
  ) {}

  get fullName(): string {
    return this.spec.fullName;
  }

  recordLatency(usec: number): void {
    (this.latencyHistogram ??= new LatencyHistogram()).record(usec * 1000);
  }

  resetStats(): void {
    this.calls = this.usec = this.rejectedCalls = this.failedCalls = 0;
    this.latencyHistogram = null;
    if (this.subcommands) for (const s of this.subcommands.values()) s.resetStats();
  }
}

export class CommandRegistry {
  /** By lowercase and by uppercase name, so the usual spellings hit without lowercasing. */
  private readonly lookupMap = new Map<string, RegisteredCommand>();
  /** By lowercase name only. */
  readonly commands = new Map<string, RegisteredCommand>();

  register(defs: readonly CommandDef[]): void {
    for (const def of defs) {
      const spec = commandTable.get(def.name);
      if (!spec) throw new Error(`command '${def.name}' is not in the command table`);
      let subs: Map<string, RegisteredCommand> | null = null;
      if (def.subcommands) {
        subs = new Map();
        for (const [sub, handler] of Object.entries(def.subcommands)) {
          const subSpec = spec.subcommands?.get(sub);
          if (!subSpec) throw new Error(`subcommand '${def.name}|${sub}' is not in the command table`);
          subs.set(sub, new RegisteredCommand(subSpec, handler, null));
        }
      }
      const cmd = new RegisteredCommand(spec, def.handler ?? null, subs);
      this.commands.set(def.name, cmd);
      this.lookupMap.set(def.name, cmd);
      this.lookupMap.set(def.name.toUpperCase(), cmd);
    }
  }

  /**
   * `rename-command name new-name` (Redis's config.c): the command answers to the new name only; an empty
   * new name removes it. Returns an error reason, or null. A command of Redis 7.0's table that Tandem does
   * not implement can be renamed too (it stays unknown), so stock configurations load.
   */
  rename(name: string, newName: string): string | null {
    const lower = name.toLowerCase();
    const cmd = this.commands.get(lower);
    if (cmd === undefined) {
      const spec = commandTable.get(lower);
      return spec?.inRedis70 && spec.parent === null ? null : "No such command in rename-command";
    }
    this.commands.delete(lower);
    for (const [k, v] of [...this.lookupMap]) if (v === cmd) this.lookupMap.delete(k);
    if (newName === "") return null;
    const target = newName.toLowerCase();
    if (this.commands.has(target)) return "Target command name already exists";
    this.commands.set(target, cmd);
    this.lookupMap.set(target, cmd);
    this.lookupMap.set(newName.toUpperCase(), cmd);
    return null;
  }

  lookup(name: string): RegisteredCommand | undefined {
    return this.lookupMap.get(name) ?? this.lookupMap.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.commands.has(name.toLowerCase());
  }
}
