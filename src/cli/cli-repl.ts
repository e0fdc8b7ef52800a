import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { splitArgs } from "../resp/request-parser.js";
import type { CliSession } from "./cli-session.js";

/**
 * `tandem cli` without a command: a prompt with history on a terminal, or one command per stdin line when
 * stdin is not a terminal (no prompt, no history), both as redis-cli 7.0's REPL behaves: `quit`, `exit`,
 * Ctrl-D and Ctrl-C leave with exit code 0, a leading number repeats a command (`3 INCR n`), `connect
 * <host> <port>` switches servers, lines with passwords (AUTH, HELLO ... AUTH, ACL SETUSER, CONFIG SET
 * requirepass ...) stay out of the history, and a command that took 0.5 s or more is followed by its time.
 */

const HISTORY_MAX = 100;

/** Where history is kept: $TANDEM_CLI_HISTFILE, else ~/.tandem_cli_history; null for /dev/null. */
export function historyFilePath(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env.TANDEM_CLI_HISTFILE;
  if (override) return override === "/dev/null" ? null : override;
  const home = env.HOME || homedir();
  return home ? join(home, ".tandem_cli_history") : null;
}

/** True for a command line that carries a password and so is not kept in the history. */
export function isSensitiveCommand(args: readonly string[]): boolean {
  const argc = args.length;
  const lc = args.map((a) => a.toLowerCase());
  if (lc[0] === "auth") return true;
  if (argc > 1 && lc[0] === "acl" && lc[1] === "setuser") return true;
  if (argc > 2 && lc[0] === "config" && lc[1] === "set") {
    return ["masterauth", "masteruser", "requirepass"].includes(lc[2]);
  }
  if (argc > 4 && lc[0] === "hello") {
    // HELLO protover [AUTH username password] [SETNAME name]
    for (let j = 2; j < argc; j++) {
      const more = argc - 1 - j;
      if (lc[j] === "auth" && more >= 2) return true;
      if (lc[j] === "setname" && more > 0) j++;
      else return false;
    }
    return false;
  }
  if (argc > 7 && lc[0] === "migrate") {
    // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS key ...]
    for (let j = 6; j < argc; j++) {
      const more = argc - 1 - j;
      if (lc[j] === "auth" && more > 0) return true;
      if (lc[j] === "auth2" && more >= 2) return true;
      if (lc[j] === "keys" && more > 0) return false;
    }
  }
  return false;
}

/** A leading repeat count as redis-cli reads it (strtol over the whole word); null when the word is no count. */
function repeatCount(word: string): bigint | null {
  if (word === "") return 0n;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(word);
  return m ? BigInt(m[1]) : null;
}

/** What the REPL does with one line; "quit" ends it. */
async function handleLine(
  session: CliSession,
  line: string,
  remember: (line: string) => void,
): Promise<"quit" | undefined> {
  const print = (text: string) => process.stdout.write(Buffer.from(text, "latin1"));
  if (line === "") return;
  const args = splitArgs(line);
  if (args === null) {
    print("Invalid argument(s)\n");
    remember(line);
    return;
  }
  if (args.length === 0) return;
  let repeat = 1;
  let skip = 0;
  const count = args.length > 1 ? repeatCount(args[0]) : null;
  if (count !== null) {
    if (count <= 0n || count > 0x7fffffffffffffffn) {
      print("Invalid redis-cli repeat command option value.\n");
      return;
    }
    repeat = Number(count);
    skip = 1;
  }
  const cmd = args.slice(skip);
  if (!isSensitiveCommand(cmd)) remember(line);
  const name = args[0].toLowerCase();
  if (name === "quit" || name === "exit") return "quit";
  if (args[0].startsWith(":")) {
    if (name === ":set" && args.length >= 2) {
      const pref = args[1].toLowerCase();
      if (pref !== "hints" && pref !== "nohints") print(`unknown redis-cli preference '${args[1]}'\n`);
    } else {
      print(`unknown redis-cli internal command '${args[0]}'\n`);
    }
    return;
  }
  if (name === "restart") {
    print("Use 'restart' only in Lua debugging mode.\n");
    return;
  }
  if (args.length === 3 && name === "connect") {
    const port = Number.parseInt(args[2], 10);
    session.setAddress(args[1], Number.isNaN(port) ? 0 : port);
    await session.connect(false);
    return;
  }
  if (args.length === 1 && name === "clear") {
    if (process.stdout.isTTY) print("\x1b[H\x1b[2J");
    return;
  }
  const started = Date.now();
  await session.issue(cmd, repeat);
  const elapsed = Date.now() - started;
  if (elapsed >= 500 && session.output === "tty") print(`(${(elapsed / 1000).toFixed(2)}s)\n`);
}

/** Runs the REPL until quit / end of input; returns the exit code (always 0, as redis-cli). */
export async function runRepl(session: CliSession): Promise<number> {
  session.interactive = true;
  await session.connect(false);
  if (process.stdin.isTTY) await promptLoop(session);
  else await stdinLoop(session);
  session.close();
  return 0;
}

/** Commands from a pipe or file: each "\n"-terminated line (the last may lack it), bytes kept as they are. */
async function stdinLoop(session: CliSession): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let nl = pending.indexOf(10);
    while (nl >= 0) {
      const line = pending.toString("latin1", 0, nl);
      pending = pending.subarray(nl + 1);
      if ((await handleLine(session, line, () => {})) === "quit") return;
      nl = pending.indexOf(10);
    }
  }
  if (pending.length > 0) await handleLine(session, pending.toString("latin1"), () => {});
}

function loadHistory(file: string | null): string[] {
  if (!file) return [];
  try {
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    return lines.slice(-HISTORY_MAX).reverse(); // readline wants the newest first
  } catch {
    return [];
  }
}

/** Writes the history (given newest first) oldest first, one line each. */
function saveHistory(file: string | null, newestFirst: readonly string[]): void {
  if (!file) return;
  const text = [...newestFirst].reverse().join("\n");
  try {
    writeFileSync(file, text === "" ? "" : `${text}\n`, { mode: 0o600 });
  } catch {
    // An unwritable history file does not stop the session, as with redis-cli.
  }
}

/** The interactive prompt on a terminal, with history kept in a file. */
async function promptLoop(session: CliSession): Promise<void> {
  const file = historyFilePath();
  const rl: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: loadHistory(file),
    historySize: HISTORY_MAX,
  });
  // readline adds every line it reads to its own history, before we have looked at the line (and several
  // at once when input comes fast): after each line its history is set back to the lines kept, newest
  // first, so lines with passwords never stay.
  const history = (rl as unknown as { history: string[] }).history;
  const kept = [...history];
  rl.on("SIGINT", () => rl.close());
  const lines = rl[Symbol.asyncIterator]();
  for (;;) {
    rl.setPrompt(session.prompt);
    rl.prompt();
    const next = await lines.next();
    if (next.done) break;
    const text: string = next.value;
    const remember = () => {
      if (kept[0] !== text) kept.unshift(text);
      kept.length = Math.min(kept.length, HISTORY_MAX);
      saveHistory(file, kept);
    };
    // Terminal input is UTF-8 text; commands go out as its bytes.
    const result = await handleLine(session, Buffer.from(text, "utf8").toString("latin1"), remember);
    history.splice(0, history.length, ...kept);
    if (result === "quit") break;
  }
  rl.close();
}
