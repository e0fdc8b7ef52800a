/**
 * Redis's fixed reply texts (server.c createSharedObjects and friends), without the leading "-" and
 * trailing CRLF: pass them to `ReplyWriter.error`. Keeping them in one place keeps the wording exact.
 */
// The texts the proxy sends too live one layer down, where it may import them.
export * from "../resp/error-replies.js";
export const ERR_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const ERR_NOT_FLOAT = "ERR value is not a valid float";
export const ERR_NOT_POSITIVE = "ERR value is out of range, must be positive";
export const ERR_NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0";
export const ERR_NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";
export const ERR_NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
export const ERR_COUNT_NOT_POSITIVE = "ERR count should be greater than 0";
export const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
export const ERR_INCR_NAN = "ERR increment would produce NaN or Infinity";
export const ERR_OVERFLOW = "ERR increment or decrement would overflow";
export const ERR_NO_SUCH_KEY = "ERR no such key";
export const ERR_OUT_OF_RANGE = "ERR index out of range";
export const ERR_SAME_OBJECT = "ERR source and destination objects are the same";
export const ERR_READONLY = "READONLY You can't write against a read only replica.";
export const ERR_MASTERDOWN =
  "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const ERR_NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
export const ERR_MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
export const errMisconfAof = (reason: string) => `MISCONF Errors writing to the AOF file: ${reason}`;
export const ERR_LOADING = "LOADING Redis is loading the dataset in memory";
export const ERR_EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const ERR_TIMEOUT_NEGATIVE = "ERR timeout is negative";
/** XAUTOCLAIM and GEOSEARCH word it so (LMPOP/ZMPOP: ERR_COUNT_NOT_POSITIVE). */
export const ERR_COUNT_GT_ZERO = "ERR COUNT must be > 0";
export const ERR_TIMEOUT_INVALID = "ERR timeout is not an integer or out of range";
export const ERR_TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
export const ERR_STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
export const ERR_MAX_CLIENTS = "ERR max number of clients reached";
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** Redis's rejection of an unknown command: the name (≤128 chars) and the first arguments, quoted. */
export function errUnknownCommand(argv: readonly string[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i].slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`;
}

/** addReplySubcommandSyntaxError: a known container command with a subcommand it cannot run as given. */
export function errSubcommandSyntax(argv: readonly string[]): string {
  return `ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`;
}
