/**
 * Redis's error texts that both the server and the proxy send (the proxy answers AUTH, HELLO, SELECT,
 * CLIENT SETNAME… itself). Without the leading "-" and the CRLF; the server passes them to
 * `ReplyWriter.error`, the proxy frames them once at load. The server's own fixed texts are in
 * src/server/shared-replies.ts, which re-exports these so server code has one place to import from.
 */
export const ERR_SYNTAX = "ERR syntax error";
export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
export const ERR_DB_INDEX = "ERR DB index is out of range";
export const ERR_NOAUTH = "NOAUTH Authentication required.";
export const ERR_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const ERR_AUTH_NOPASS =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
export const ERR_NOPROTO = "NOPROTO unsupported protocol version";
export const ERR_PROTO_VERSION = "ERR Protocol version is not an integer or out of range";
export const ERR_HELLO_NOAUTH =
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
export const ERR_CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

export function errHelloOption(option: string): string {
  return `ERR Syntax error in HELLO option '${option}'`;
}

/** getRangeLongFromObjectOrReply's default range error (Redis's wording, "must between" included). */
export function errValueOutOfRange(min: number | bigint, max: number | bigint): string {
  return `ERR value is out of range, value must between ${min} and ${max}`;
}

export function errWrongArity(fullName: string): string {
  return `ERR wrong number of arguments for '${fullName}' command`;
}

export function errUnknownSubcommand(argv: readonly string[]): string {
  return `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`;
}
