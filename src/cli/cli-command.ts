import { parseCliOptions } from "./cli-options.js";
import { runRepl } from "./cli-repl.js";
import { CliSession } from "./cli-session.js";

/**
 * `tandem cli [options] [command ...]`: a redis-cli work-alike for machines without redis-cli. With a
 * command it runs that one command (exit code 1 only when it could not be sent or the connection failed,
 * or with -e on an error reply); without one it runs the REPL (cli-repl.ts).
 *
 * As with redis-cli, replies are printed raw when stdout is not a terminal, unless --no-raw (setting
 * FAKETTY in the environment makes stdout count as a terminal, as redis-cli allows for its own tests).
 */
export async function cliCommand(argv: string[]): Promise<number> {
  const parsed = parseCliOptions(argv);
  if (!parsed.ok) {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    return parsed.exitCode;
  }
  const options = parsed.options;
  // Output piped into a reader that went away (`| head`): stop quietly, as redis-cli dies of SIGPIPE.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(1);
    throw err;
  });
  const terminal = Boolean(process.stdout.isTTY) || process.env.FAKETTY !== undefined;
  const output = options.output ?? (terminal ? "tty" : "raw");
  if (options.password !== null && !options.noAuthWarning) {
    process.stderr.write(
      "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n",
    );
  }
  const session = new CliSession(options, output, terminal, {
    stdout: (bytes) => process.stdout.write(bytes),
    stderr: (text) => process.stderr.write(text),
  });
  if (options.command.length === 0) return runRepl(session);
  // Arguments reach Node as UTF-8 text; the command sends their bytes.
  const args = options.command.map((a) => Buffer.from(a, "utf8").toString("latin1"));
  // Like redis-cli: a quiet first attempt, then the command's own attempt reports the failure.
  if (args[0].toLowerCase() !== "help" && args[0] !== "?") await session.connect(true);
  const ok = await session.issue(args);
  session.close();
  return ok ? 0 : 1;
}
