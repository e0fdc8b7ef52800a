/**
 * Collects what a command execution must propagate to replicas and the AOF, and hands it out as one unit
 * when the outermost execution ends (Redis 7's also_propagate + propagatePendingCommands): a unit of more
 * than one command is wrapped in MULTI/EXEC so replicas apply it atomically.
 */

export interface PropagatedOp {
  db: number;
  argv: string[];
  /** Replicas only, not the AOF (PUBLISH, as Redis's PROPAGATE_REPL). */
  replOnly?: boolean;
}

/** Receives finished units in order. Sinks track their own selected db and emit SELECT as needed. */
export interface PropagationSink {
  feed(ops: readonly PropagatedOp[]): void;
  /**
   * False while the sink would drop whatever it is fed (no AOF; no replication backlog and no replicas):
   * when no sink is active, no unit is built at all. Absent means always active.
   */
  readonly active?: boolean;
}

/** Shared by every wrapped unit: sinks only read argv. */
const MULTI_ARGV: string[] = ["MULTI"];
const EXEC_ARGV: string[] = ["EXEC"];

export class Propagator {
  private depth = 0;
  private ops: PropagatedOp[] = [];
  readonly sinks: PropagationSink[] = [];

  /** Opens an execution (nested ones, such as commands inside EXEC, join the outer unit). */
  begin(): void {
    this.depth++;
  }

  add(db: number, argv: string[], replOnly = false): void {
    if (!this.anySinkActive()) return;
    this.ops.push(replOnly ? { db, argv, replOnly } : { db, argv });
    if (this.depth === 0) this.flush();
  }

  end(): void {
    if (--this.depth === 0 && this.ops.length > 0) this.flush();
  }

  private anySinkActive(): boolean {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) if (sinks[i].active !== false) return true;
    return false;
  }

  private flush(): void {
    const ops = this.ops;
    this.ops = [];
    if (ops.length > 1) {
      // In place (the unit is a new array each time): a script's effects are wrapped on every call.
      ops.unshift({ db: ops[0].db, argv: MULTI_ARGV });
      ops.push({ db: ops[ops.length - 1].db, argv: EXEC_ARGV });
    }
    for (const s of this.sinks) s.feed(ops);
  }
}
