import { destination, type Logger, type LoggerOptions, pino } from "pino";

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

/** Field names that hold secrets (server directives, proxy.yaml keys and their config-object names). */
const SECRET_KEYS = [
  "password",
  "pass",
  "requirepass",
  "masterauth",
  "backendPassword",
  "backend_password",
  "adminPassword",
  "admin_password",
];

/**
 * pino's redaction of secrets, for the server's and the proxy's loggers: whatever object is logged, a
 * field with one of these names (up to three levels deep) is written as "(redacted)", so a password
 * cannot reach a log by a careless `log.info({ config })`.
 */
export const LOG_REDACTION: LoggerOptions["redact"] = {
  paths: SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  censor: "(redacted)",
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
      return pino({
        name,
        level,
        redact: LOG_REDACTION,
        transport: { target: "pino-pretty", options: { colorize: true } },
      });
    }
    return pino({ name, level, redact: LOG_REDACTION }, destination({ fd: 1, sync: syncStdout }));
  }
  return pino(
    { name, level, redact: LOG_REDACTION },
    destination({ dest: logfile, mkdir: true, sync: false }),
  );
}
