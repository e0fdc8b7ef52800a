import { CommandFlag } from "../command-table/command-flags.js";
import { type Client, ClientFlag } from "./client.js";
import type { RegisteredCommand } from "./command-registry.js";
import type { Server } from "./server.js";

/**
 * CLIENT PAUSE / UNPAUSE (Redis's pauseClients with PAUSE_BY_CLIENT_COMMAND): while a pause is in effect,
 * commands from normal clients — all of them (ALL) or only those that may change the dataset (WRITE) — are
 * postponed: the client is blocked with the command kept, and runs it when the pause ends. Replicas and the
 * link to our master are never paused.
 *
 * Differs from Redis: during a WRITE pause Redis also stops expiring keys and evicting; Tandem keeps its
 * active expire cycle running.
 */
export class ClientPause {
  /** Absolute ms when the pause ends. */
  private until = 0;
  private all = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly postponed = new Set<Client>();

  constructor(private readonly server: Server) {}

  get active(): boolean {
    return this.until > 0;
  }

  /** CLIENT PAUSE until `end` (absolute ms): a longer pause or a stricter mode replaces the current one, as in Redis. */
  pause(end: number, all: boolean): void {
    // `end` is getTimeoutOrReply's absolute deadline; 0 (CLIENT PAUSE 0) is a pause that ends at once.
    const until = end === 0 ? Date.now() : end;
    if (this.active) {
      // Redis keeps the most restrictive: the later end and ALL over WRITE.
      this.all = this.all || all;
      if (until <= this.until) return;
    } else {
      this.all = all;
    }
    this.until = until;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.unpause(), Math.max(0, until - Date.now()));
  }

  /** CLIENT UNPAUSE or the pause timing out: postponed clients run their command, in arrival order. */
  unpause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.until = 0;
    this.all = false;
    const waiting = [...this.postponed];
    this.postponed.clear();
    for (const c of waiting) {
      if (c.isClosed) continue;
      const pending = c.postponedArgv;
      c.postponedArgv = null;
      c.unblock();
      if (pending !== null) {
        // unblock() resumes reading on the next tick; the postponed command runs now, ahead of it.
        this.server.processCommand(c, pending);
        c.flush();
      }
    }
  }

  /**
   * processCommand's pause guard: true when the command was postponed (the client is now blocked).
   * Redis counts as "may replicate" the write and may-replicate commands, and EXEC of such a transaction.
   */
  postpones(c: Client, cmd: RegisteredCommand, argv: string[], flags: number): boolean {
    if (c.flags & (ClientFlag.SLAVE | ClientFlag.MASTER)) return false;
    if (!this.all) {
      let mayReplicate = (flags & (CommandFlag.WRITE | CommandFlag.MAY_REPLICATE)) !== 0;
      if (!mayReplicate && cmd.spec.name === "exec") {
        for (const q of c.mstate) {
          if (
            (q.cmd.spec.flags | (q.cmd.spec.parent?.flags ?? 0)) &
            (CommandFlag.WRITE | CommandFlag.MAY_REPLICATE)
          ) {
            mayReplicate = true;
            break;
          }
        }
      }
      if (!mayReplicate) return false;
    }
    c.postponedArgv = argv;
    this.postponed.add(c);
    c.blockOn({
      kind: "pause",
      deadline: 0,
      onTimeout: () => {},
      onCancel: () => {
        this.postponed.delete(c);
        c.postponedArgv = null;
      },
    });
    return true;
  }
}
