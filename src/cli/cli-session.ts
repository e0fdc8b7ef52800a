import { RespErrorReply, RespPush } from "../resp/resp-value.js";
import { CliConnection, CliConnectionError, cliTlsOptions } from "./cli-connection.js";
import type { CliOptions } from "./cli-options.js";
import { type CliReply, cliReply } from "./cli-reply.js";
import { commandHelp } from "./command-help.js";
import { formatInvalidation, formatReply, type OutputMode, UnknownReplyType } from "./format-reply.js";

/**
 * What `tandem cli` does with one connection, in one-shot and prompt mode alike, following redis-cli 7.0:
 * connecting sends AUTH, SELECT and HELLO 3 as the options ask (a failure is printed and stops the rest,
 * but the connection stays and the command still goes out, so the server's own error is what the user
 * sees); a command is sent, its reply printed, and the state the prompt shows (database, MULTI) follows
 * SELECT, AUTH, MULTI, EXEC, DISCARD and RESET as the server accepted them.
 */

/** Commands whose reply is text meant to be printed as it is (redis-cli's list, for INFO and the like). */
function printsVerbatim(args: readonly string[]): boolean {
  const cmd = args[0].toLowerCase();
  const sub = args.length >= 2 ? args[1].toLowerCase() : "";
  const n = args.length;
  if (cmd === "info" || cmd === "lolwut") return true;
  if (cmd === "debug" && ["htstats", "htstats-key", "client-eviction"].includes(sub)) return true;
  if (cmd === "memory" && (sub === "malloc-stats" || sub === "doctor")) return true;
  if (cmd === "cluster" && n === 2 && (sub === "nodes" || sub === "info")) return true;
  if (cmd === "client" && (sub === "list" || sub === "info")) return true;
  if (cmd === "latency" && ((n === 3 && sub === "graph") || (n === 2 && sub === "doctor"))) return true;
  return cmd === "proxy" && sub === "info";
}

export interface SessionIO {
  stdout(bytes: Buffer): void;
  stderr(text: string): void;
}

export class CliSession {
  private conn: CliConnection | null = null;
  /** The database the user asked for (-n, or the last SELECT); re-selected after AUTH and reconnects. */
  private wantedDb: number;
  /** The database the connection is on (the prompt shows it). */
  db = 0;
  inMulti = false;
  private preMultiDb = 0;
  private resp3: boolean;
  private shuttingDown = false;
  /** Set in prompt mode: a lost connection is reported and the next command reconnects. */
  interactive = false;

  constructor(
    private readonly options: CliOptions,
    readonly output: OutputMode,
    /** Print push messages that arrive between replies (redis-cli does when stdout is a terminal). */
    private readonly showPushes: boolean,
    private readonly io: SessionIO,
  ) {
    this.wantedDb = options.db;
    this.resp3 = options.resp3;
  }

  /** The REPL's `connect <host> <port>`: later connections go there. */
  setAddress(host: string, port: number): void {
    this.options.host = host;
    this.options.port = port;
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  /** host:port as the prompt shows it ([::1]:6379 for IPv6). */
  get address(): string {
    const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host;
    return `${host}:${this.options.port}`;
  }

  get prompt(): string {
    if (!this.conn) return "not connected> ";
    return `${this.address}${this.db !== 0 ? `[${this.db}]` : ""}${this.inMulti ? "(TX)" : ""}> `;
  }

  private print(text: string): void {
    this.io.stdout(Buffer.from(text, "latin1"));
  }

  /**
   * Opens a new connection (dropping any old one) and sets it up. False when it could not connect or a
   * set-up command failed; after a failed AUTH, SELECT or HELLO the connection is kept, as redis-cli does.
   */
  async connect(quiet: boolean): Promise<boolean> {
    if (this.conn) {
      this.conn.close();
      this.conn = null;
      this.db = 0;
      this.inMulti = false;
    }
    try {
      const t = this.options.tls;
      const tls = t === null ? null : { options: cliTlsOptions(t), verify: !t.insecure };
      this.conn = await CliConnection.open(this.options.host, this.options.port, tls);
    } catch (err) {
      if (!(err instanceof CliConnectionError)) throw err;
      // redis-cli prints unusable TLS settings even on its quiet first attempt (so twice in one-shot mode).
      if (err.tlsSetup) this.io.stderr(`Could not negotiate a TLS connection: ${err.message}\n`);
      else if (!quiet) this.io.stderr(`Could not connect to Redis at ${this.address}: ${err.message}\n`);
      return false;
    }
    try {
      if (this.options.password !== null) {
        const auth =
          this.options.user !== null ? [this.options.user, this.options.password] : [this.options.password];
        const r = await this.call(["AUTH", ...auth]);
        if (r instanceof RespErrorReply) {
          this.io.stderr(`AUTH failed: ${r.message}\n`);
          return false;
        }
      }
      if (!(await this.selectWantedDb())) return false;
      if (this.resp3) {
        const r = await this.call(["HELLO", "3"]);
        if (r instanceof RespErrorReply) {
          this.io.stderr(`HELLO 3 failed: ${r.message}\n`);
          return false;
        }
      }
      return true;
    } catch (err) {
      this.io.stderr(`\nI/O error\n`);
      if (err instanceof CliConnectionError) this.dropConnection();
      return false;
    }
  }

  private async selectWantedDb(): Promise<boolean> {
    if (this.wantedDb === this.db) return true;
    const r = await this.call(["SELECT", String(this.wantedDb)]);
    if (r instanceof RespErrorReply) {
      this.io.stderr(`SELECT ${this.wantedDb} failed: ${r.message}\n`);
      return false;
    }
    this.db = this.wantedDb;
    return true;
  }

  /** A set-up command's reply (pushes skipped). */
  private async call(args: string[]): Promise<unknown> {
    this.conn!.send(args);
    return (await this.readReply(false)).value;
  }

  /** The next reply; push messages before it are printed (when shown) or dropped, unless `pushes`. */
  private async readReply(pushes: boolean): Promise<CliReply> {
    for (;;) {
      const reply = cliReply(await this.conn!.next());
      if (pushes || !(reply.value instanceof RespPush)) return reply;
      if (!this.showPushes) continue;
      const inv = this.output === "tty" ? formatInvalidation(reply.value) : null;
      this.print(inv ?? formatReply(reply, this.output));
    }
  }

  private dropConnection(): void {
    this.conn?.close();
    this.conn = null;
  }

  /**
   * `help`, or sends a command `repeat` times printing each reply. False when it could not be sent or the
   * connection failed (the caller's exit code in one-shot mode).
   */
  async issue(args: string[], repeat = 1): Promise<boolean> {
    const name = args[0].toLowerCase();
    if (name === "help" || name === "?") {
      this.print(commandHelp(args.slice(1)));
      return true;
    }
    if (!this.conn && !(await this.connect(false))) return false;
    try {
      for (let i = 0; i < repeat; i++) await this.sendAndPrint(args);
      return true;
    } catch (err) {
      if (err instanceof UnknownReplyType) {
        this.io.stderr(`${err.message}\n`);
        process.exit(1);
      }
      if (!(err instanceof CliConnectionError)) throw err;
      this.dropConnection();
      if (this.shuttingDown) return true;
      this.io.stderr(`Error: ${err.message}\n`);
      if (!this.interactive || !err.lost) process.exit(1);
      return false;
    }
  }

  private async sendAndPrint(args: string[]): Promise<void> {
    const conn = this.conn!;
    const name = args[0].toLowerCase();
    const verbatim = printsVerbatim(args);
    if (name === "shutdown") this.shuttingDown = true;
    conn.send(args);
    if (name === "monitor") {
      for (;;) {
        const reply = await this.readReply(false);
        this.print(formatReply(reply, this.output, verbatim));
        if (reply.value instanceof RespErrorReply) return;
      }
    }
    if (name === "subscribe" || name === "psubscribe" || name === "ssubscribe") {
      if (this.output !== "raw") this.print("Reading messages... (press Ctrl-C to quit)\n");
      for (;;) {
        const reply = await this.readReply(true);
        this.print(formatReply(reply, this.output, verbatim));
        if (reply.value instanceof RespErrorReply) return;
      }
    }
    const reply = await this.readReply(false);
    const failed = reply.value instanceof RespErrorReply;
    if (failed && !this.interactive && this.options.errorExitCode) {
      this.io.stderr(`${(reply.value as RespErrorReply).message}\n`);
      process.exit(1);
    }
    this.print(formatReply(reply, this.output, verbatim));
    const argc = args.length;
    if (name === "select" && argc === 2 && !failed) {
      this.wantedDb = this.db = cAtoi(args[1]);
    } else if (name === "auth" && (argc === 2 || argc === 3)) {
      await this.selectWantedDb();
    } else if (name === "multi" && argc === 1 && !failed) {
      this.inMulti = true;
      this.preMultiDb = this.db;
    } else if (name === "exec" && argc === 1 && this.inMulti) {
      this.inMulti = false;
      if (failed || reply.value === null) this.wantedDb = this.db = this.preMultiDb;
    } else if (name === "discard" && argc === 1 && !failed) {
      this.inMulti = false;
      this.wantedDb = this.db = this.preMultiDb;
    } else if (name === "reset" && argc === 1 && !failed) {
      this.inMulti = false;
      this.wantedDb = this.db = 0;
      this.resp3 = false;
    }
  }

  close(): void {
    this.dropConnection();
  }
}

function cAtoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1], 10) | 0 : 0;
}
