import { reprString } from "../resp/repr.js";
import { type Client, ClientFlag } from "./client.js";

/**
 * MONITOR clients (Redis's server.monitors and replicationFeedMonitors): after each executed command that
 * is neither admin nor skip-monitor, every monitor gets one status line
 *
 *   +<unix seconds>.<µs> [<db> <ip:port>] "arg0" "arg1" ...
 *
 * with each argument quoted as Redis's sdscatrepr and secrets redacted as Redis does ("(redacted)").
 * Tandem has neither Lua scripts nor unix sockets, so the `lua` and `unix:` sources do not occur.
 */
export class Monitors {
  readonly clients = new Set<Client>();

  add(c: Client): void {
    c.flags |= ClientFlag.MONITOR;
    this.clients.add(c);
  }

  remove(c: Client): void {
    c.flags &= ~ClientFlag.MONITOR;
    this.clients.delete(c);
  }

  /** Sends one executed command to every monitor (the caller checked that there is one). */
  feed(c: Client, dbId: number, argv: readonly string[]): void {
    // Wall-clock microseconds from the monotonic clock and its origin (Date.now() has only ms).
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const sec = Math.floor(nowUs / 1e6);
    const micros = nowUs % 1e6;
    let line = `+${sec}.${String(micros).padStart(6, "0")} [${dbId} ${c.addr}] `;
    for (let j = 0; j < argv.length; j++) {
      if (j !== 0) line += " ";
      line += reprString(argv[j]);
    }
    line += "\r\n";
    for (const m of this.clients) {
      if (m.isClosed) continue;
      m.reply.raw(line);
      c.server.queueFlush(m);
    }
  }
}

/**
 * The arguments as Redis shows them to MONITOR and the slow log: the values it redacts
 * (redactClientCommandArgument) replaced by "(redacted)". Returns `argv` itself when nothing is secret.
 */
export function redactedArgv(name: string, argv: readonly string[]): readonly string[] {
  switch (name) {
    case "auth":
      // AUTH with too many arguments fails before redacting; otherwise the password (and user) go.
      if (argv.length === 2) return [argv[0], REDACTED];
      if (argv.length === 3) return [argv[0], REDACTED, REDACTED];
      return argv;
    case "hello": {
      // An invalid protocol version fails before the options are read (and redacted).
      if (argv.length >= 2 && argv[1] !== "2" && argv[1] !== "3") return argv;
      let out: string[] | null = null;
      for (let j = 2; j < argv.length; j++) {
        const more = argv.length - 1 - j;
        const opt = argv[j].toLowerCase();
        if (opt === "auth" && more >= 2) {
          out ??= [...argv];
          out[j + 1] = REDACTED;
          out[j + 2] = REDACTED;
          j += 2;
        } else if (opt === "setname" && more >= 1) {
          j++;
        } else {
          break;
        }
      }
      return out ?? argv;
    }
    case "config": {
      if (argv.length < 4 || argv[1].toLowerCase() !== "set") return argv;
      let out: string[] | null = null;
      for (let j = 2; j + 1 < argv.length; j += 2) {
        if (SENSITIVE_CONFIGS.has(argv[j].toLowerCase())) {
          out ??= [...argv];
          out[j + 1] = REDACTED;
        }
      }
      return out ?? argv;
    }
    case "acl":
      if (argv.length >= 3 && argv[1].toLowerCase() === "setuser") {
        return [argv[0], argv[1], ...argv.slice(2).map(() => REDACTED)];
      }
      return argv;
    default:
      return argv;
  }
}

const REDACTED = "(redacted)";
/** Redis 7.0's SENSITIVE_CONFIG parameters. */
const SENSITIVE_CONFIGS = new Set(["masteruser", "masterauth", "requirepass"]);

export { reprString };
