import { type CommandSpec, commandTable } from "../../command-table/command-table.js";

/**
 * The commands ACL rules speak about (Redis's server.orig_commands): Redis 7.0's command table, plus the
 * commands Tandem registers that Redis 7.0 does not have (WAITOFFSET, newer CLIENT subcommands). Rules
 * name commands by their original names, whatever rename-command did. The order is the table's; Redis
 * walks a hash table whose order changes from run to run, so only the order of single-command rules in
 * ACL LIST can differ from Redis's.
 */
export class AclCommands {
  /** Every command and subcommand, each parent followed by its subcommands (category rules, ACL CAT). */
  readonly all: CommandSpec[] = [];
  /** Top-level commands, in order. */
  readonly top: CommandSpec[] = [];
  /** Size of a selector's bitmap. */
  readonly idCount: number;
  private readonly subs = new Map<CommandSpec, CommandSpec[]>();
  private readonly byName = new Map<string, CommandSpec>();

  /** `registered(spec)` says whether the server implements a command or subcommand. */
  constructor(registered: (spec: CommandSpec) => boolean) {
    let maxId = 0;
    for (const spec of commandTable.values()) {
      if (!spec.inRedis70 && !registered(spec)) continue;
      this.top.push(spec);
      this.all.push(spec);
      this.byName.set(spec.name, spec);
      maxId = Math.max(maxId, spec.aclId);
      const list: CommandSpec[] = [];
      for (const sub of spec.subcommands?.values() ?? []) {
        if (!sub.inRedis70 && !registered(sub)) continue;
        list.push(sub);
        this.all.push(sub);
        this.byName.set(sub.fullName, sub);
        maxId = Math.max(maxId, sub.aclId);
      }
      this.subs.set(spec, list);
    }
    this.idCount = maxId + 1;
  }

  subcommandsOf(cmd: CommandSpec): readonly CommandSpec[] {
    return this.subs.get(cmd) ?? [];
  }

  /**
   * "get", "config|get" in any letter case (Redis's lookupCommandBySds over the original table): a
   * container named with a subcommand it lacks, a non-container named with one, or more than one `|`, is
   * no command.
   */
  lookup(name: string): CommandSpec | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf("|");
    if (bar < 0) return this.byName.get(lower);
    if (lower.indexOf("|", bar + 1) >= 0) return undefined;
    const base = this.byName.get(lower.slice(0, bar));
    if (base === undefined || base.subcommands === null) return undefined;
    return this.byName.get(lower);
  }
}
