import { RespErrorReply, type RespValue } from "../resp/resp-value.js";
import { AdminClient, AdminError } from "./admin-client.js";
import { type BackendStatus, formatBackendsTable, parseBackendsReply } from "./backends-table.js";

/**
 * `tandem status`, `tandem drain <host:port>`, `tandem undrain <host:port>`: the operator's side of the
 * proxy's admin commands (PROXY BACKENDS / DRAIN / UNDRAIN). Each connects, sends `AUTH <password>` first
 * when given `-a`, sends its command and prints the result. Every failure — bad arguments, no proxy, a
 * timeout, an error reply — is one line on stderr and exit code 1, because these run from scripts and
 * terminals where a stack trace helps nobody.
 *
 * The commands write through an AdminOutput and return their exit code, so tests run them in-process.
 */

/** Where a command writes; the CLI passes the process's streams, tests collect the text. */
export interface AdminOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const PROCESS_OUTPUT: AdminOutput = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};

const DEFAULT_PROXY = { host: "127.0.0.1", port: 7379 };
/** Connect and per-command limit: long enough for a busy proxy, short enough for a script to notice. */
const COMMAND_TIMEOUT_MS = 5000;
const DEFAULT_WAIT_TIMEOUT_S = 60;
const POLL_INTERVAL_MS = 200;

interface Address {
  host: string;
  port: number;
}

interface AdminArgs {
  proxy: Address;
  password: string | null;
  wait: boolean;
  /** Seconds; null when --timeout was not given. */
  timeout: number | null;
  positionals: string[];
  help: boolean;
}

/** What one subcommand accepts, for its parser and its help text. */
interface CommandSpec {
  name: "status" | "drain" | "undrain";
  /** Positional arguments it requires (status: none, drain/undrain: the backend). */
  positionals: number;
  waitFlags: boolean;
  synopsis: string;
  help: string;
}

const PROXY_OPTIONS = `  --proxy host:port   the proxy to ask (default ${DEFAULT_PROXY.host}:${DEFAULT_PROXY.port})
  -a password         send AUTH <password> first: the proxy's admin_password when it has one
                      (the admin commands need it), else its requirepass`;
const HELP_OPTION = "  -h, --help          show this help";

const STATUS: CommandSpec = {
  name: "status",
  positionals: 0,
  waitFlags: false,
  synopsis: "tandem status [--proxy host:port] [-a password]",
  help: `Prints the proxy's backends (PROXY BACKENDS): role, link state, replication offset and lag,
requests in flight, circuit breaker, whether each serves reads (and why not), and drain state.

Options:
${PROXY_OPTIONS}
${HELP_OPTION}

Example:
  tandem status --proxy 127.0.0.1:7379 -a secret
`,
};

const DRAIN: CommandSpec = {
  name: "drain",
  positionals: 1,
  waitFlags: true,
  synopsis: "tandem drain <host:port> [--proxy host:port] [-a password] [--wait] [--timeout seconds]",
  help: `Takes a replica out of the read rotation (PROXY DRAIN): the proxy sends it no new reads and lets
the requests in flight finish. Only replicas can be drained.

Options:
${PROXY_OPTIONS}
  --wait              poll every ${POLL_INTERVAL_MS} ms, print each change of in-flight count or drain state,
                      and exit 0 once the backend is drained
  --timeout seconds   with --wait: give up (exit 1) after this long (default ${DEFAULT_WAIT_TIMEOUT_S})
${HELP_OPTION}

Example:
  tandem drain 127.0.0.1:6380 --wait --timeout 30
`,
};

const UNDRAIN: CommandSpec = {
  name: "undrain",
  positionals: 1,
  waitFlags: false,
  synopsis: "tandem undrain <host:port> [--proxy host:port] [-a password]",
  help: `Puts a drained (or draining) replica back into the read rotation (PROXY UNDRAIN). It serves reads
again as soon as it is eligible (in sync, breaker closed).

Options:
${PROXY_OPTIONS}
${HELP_OPTION}

Example:
  tandem undrain 127.0.0.1:6380
`,
};

function usage(spec: CommandSpec): string {
  return `Usage: ${spec.synopsis}\n\n${spec.help}`;
}

/** "host:port" or "[ipv6]:port", port 1–65535; null when malformed. */
function parseAddress(text: string): Address | null {
  const m = /^(?:\[([^\]]+)\]|(.+)):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

/** Parses the arguments; throws an AdminError naming the problem and the synopsis. */
function parseArgs(spec: CommandSpec, args: readonly string[]): AdminArgs {
  const out: AdminArgs = {
    proxy: DEFAULT_PROXY,
    password: null,
    wait: false,
    timeout: null,
    positionals: [],
    help: false,
  };
  const bad = (why: string) => new AdminError(`${why} (usage: ${spec.synopsis})`);
  const optionValue = (i: number, what: string): string => {
    const v = args[i + 1];
    if (v === undefined) throw bad(`${args[i]} needs a value (${what})`);
    return v;
  };
  // --help wins over anything else on the line, so a half-typed command can still ask for help.
  if (args.some((a) => a === "-h" || a === "--help")) return { ...out, help: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--proxy") {
      const v = optionValue(i++, "host:port");
      const addr = parseAddress(v);
      if (addr === null) throw bad(`--proxy: expected host:port, got '${v}'`);
      out.proxy = addr;
    } else if (a === "-a") {
      out.password = optionValue(i++, "the password");
    } else if (a === "--wait" && spec.waitFlags) {
      out.wait = true;
    } else if (a === "--timeout" && spec.waitFlags) {
      const v = optionValue(i++, "seconds");
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n <= 0) {
        throw bad(`--timeout: expected a number of seconds > 0, got '${v}'`);
      }
      out.timeout = n;
    } else if (a.startsWith("-") && a !== "-") {
      throw bad(`unknown option '${a}'`);
    } else {
      out.positionals.push(a);
    }
  }
  if (out.positionals.length < spec.positionals) throw bad(`missing the backend's host:port`);
  if (out.positionals.length > spec.positionals) {
    throw bad(`unexpected argument '${out.positionals[spec.positionals]}'`);
  }
  for (const p of out.positionals) {
    if (parseAddress(p) === null) throw bad(`expected the backend as host:port, got '${p}'`);
  }
  if (out.timeout !== null && !out.wait) throw bad("--timeout only applies with --wait");
  return out;
}

/** The first line of any error's message: what the operator sees instead of a stack. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const nl = text.search(/\r?\n/);
  return nl < 0 ? text : text.slice(0, nl);
}

/** An error reply becomes an AdminError carrying its text as the server wrote it (ERR ..., NOPERM ...). */
function check(reply: RespValue): RespValue {
  if (reply instanceof RespErrorReply) throw new AdminError(reply.message);
  return reply;
}

/**
 * Parses the arguments, connects, authenticates and hands over to `body`; turns every failure into one
 * stderr line and exit code 1, and always closes the connection.
 */
async function runAdmin(
  spec: CommandSpec,
  args: readonly string[],
  output: AdminOutput,
  body: (client: AdminClient, parsed: AdminArgs) => Promise<number>,
): Promise<number> {
  let client: AdminClient | null = null;
  try {
    const parsed = parseArgs(spec, args);
    if (parsed.help) {
      output.stdout(usage(spec));
      return 0;
    }
    client = await AdminClient.connect(parsed.proxy.host, parsed.proxy.port, COMMAND_TIMEOUT_MS);
    if (parsed.password !== null) check(await client.command(["AUTH", parsed.password]));
    return await body(client, parsed);
  } catch (err) {
    output.stderr(`tandem ${spec.name}: ${oneLine(err)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

async function fetchBackends(client: AdminClient): Promise<BackendStatus[]> {
  return parseBackendsReply(await client.command(["PROXY", "BACKENDS"]));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * --wait: polls PROXY BACKENDS on the same connection, prints "<addr>: <drain>, <n> in flight" whenever
 * either changes, and ends at "drained" (0), at the deadline (1), or when the drain was cancelled under it
 * (1: someone ran undrain, and waiting on would only end in a misleading timeout).
 */
async function waitDrained(
  client: AdminClient,
  backend: string,
  timeoutS: number,
  output: AdminOutput,
): Promise<number> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = "";
  for (;;) {
    const b = (await fetchBackends(client)).find((x) => x.address === backend);
    if (b === undefined) throw new AdminError(`${backend} is not in the proxy's PROXY BACKENDS list`);
    const drain = b.drain;
    if (drain === undefined) throw new AdminError(`PROXY BACKENDS has no drain state for ${backend}`);
    const inFlight = b.in_flight ?? "?";
    const line = `${backend}: ${drain}, ${inFlight} in flight`;
    if (line !== last) output.stdout(line + "\n");
    last = line;
    if (drain === "drained") return 0;
    if (drain === "none") {
      output.stderr(`tandem drain: ${backend} is no longer draining (undrained meanwhile?)\n`);
      return 1;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      output.stderr(
        `tandem drain: ${backend} still ${drain} after ${timeoutS} s (${inFlight} in flight); it stays ` +
          `out of the read rotation until drained or 'tandem undrain ${backend}'\n`,
      );
      return 1;
    }
    await sleep(Math.min(POLL_INTERVAL_MS, remaining));
  }
}

/** `tandem status [--proxy host:port] [-a password]`: prints the backends table. */
export function statusCommand(
  args: readonly string[],
  output: AdminOutput = PROCESS_OUTPUT,
): Promise<number> {
  return runAdmin(STATUS, args, output, async (client) => {
    output.stdout(formatBackendsTable(await fetchBackends(client)));
    return 0;
  });
}

/**
 * `tandem drain <host:port> [--proxy host:port] [-a password] [--wait] [--timeout seconds]`: PROXY DRAIN,
 * then, with --wait, follows the drain until the backend is drained or the timeout passes.
 */
export function drainCommand(args: readonly string[], output: AdminOutput = PROCESS_OUTPUT): Promise<number> {
  return runAdmin(DRAIN, args, output, async (client, parsed) => {
    const backend = parsed.positionals[0];
    check(await client.command(["PROXY", "DRAIN", backend]));
    if (!parsed.wait) {
      output.stdout(`${backend}: draining (tandem status shows progress)\n`);
      return 0;
    }
    return waitDrained(client, backend, parsed.timeout ?? DEFAULT_WAIT_TIMEOUT_S, output);
  });
}

/** `tandem undrain <host:port> [--proxy host:port] [-a password]`: PROXY UNDRAIN. */
export function undrainCommand(
  args: readonly string[],
  output: AdminOutput = PROCESS_OUTPUT,
): Promise<number> {
  return runAdmin(UNDRAIN, args, output, async (client, parsed) => {
    const backend = parsed.positionals[0];
    check(await client.command(["PROXY", "UNDRAIN", backend]));
    output.stdout(`${backend}: serving reads again\n`);
    return 0;
  });
}
