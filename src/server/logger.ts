import { destination, type Logger, pino } from "pino";

/**
 * The server's pino logger. `logfile ""` logs to stdout (pretty when stdout is a TTY), otherwise JSON lines
 * to the file. Redis's loglevels map onto pino's.
 */
const LEVELS: Record<string, string> = {
  debug: "debug",
  verbose: "debug",
  notice: "info",
  warning: "warn",
  nothing: "silent",
};

/**
 * `syncStdout`: write stdout synchronously (under `tandem up`, whose pipe may vanish at any time: a sync
 * write sees EPIPE at once and pino stops, where queued lines would make pino's exit-time flush retry for
 * ever).
 */
export function createServerLogger(
  logfile: string,
  loglevel: string,
  name = "tandem-server",
  syncStdout = false,
): Logger {
  const level = LEVELS[loglevel] ?? "info";
  if (logfile === "") {
    if (process.stdout.isTTY) {
      return pino({ name, level, transport: { target: "pino-pretty", options: { colorize: true } } });
    }
    return pino({ name, level }, destination({ fd: 1, sync: syncStdout }));
  }
  return pino({ name, level }, destination({ dest: logfile, mkdir: true, sync: false }));
}
