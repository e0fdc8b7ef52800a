import type { OutputMode } from "./format-reply.js";

/**
 * `tandem cli` options, spelled and parsed as redis-cli 7.0 parses them: options come first, and the first
 * word that does not start with "-" begins the command. An option missing its value is unrecognized.
 */
export interface CliOptions {
  host: string;
  port: number;
  password: string | null;
  user: string | null;
  db: number;
  /** null: decided by whether stdout is a terminal. */
  output: OutputMode | null;
  resp3: boolean;
  /** -e: in one-shot mode an error reply goes to stderr and the exit code is 1. */
  errorExitCode: boolean;
  noAuthWarning: boolean;
  /** --tls and its settings; null for plain TCP. */
  tls: CliTlsOptions | null;
  /** The command (one-shot mode), empty for the prompt / commands on stdin. */
  command: string[];
}

/** redis-cli's TLS options (its cliSSLconfig); they are read without --tls but only used with it. */
export interface CliTlsOptions {
  sni: string | null;
  cacert: string | null;
  cacertdir: string | null;
  cert: string | null;
  key: string | null;
  /** --insecure: the server's certificate is not verified. */
  insecure: boolean;
  ciphers: string | null;
  ciphersuites: string | null;
}

export const CLI_USAGE = `Usage: tandem cli [options] [command [arg ...]]

A Redis command line client for machines without redis-cli; it prints replies as redis-cli 7.0 does.
Without a command it reads commands at a prompt (or one per line from stdin when that is not a terminal).

Options:
  -h <host>          server host (default 127.0.0.1)
  -p <port>          server port (default 6379)
  -a <password>      send AUTH <password> on connecting (also --pass)
  --user <username>  with -a: send AUTH <username> <password>
  -n <db>            SELECT <db> on connecting
  --raw              print replies raw (the default when stdout is not a terminal)
  --no-raw           print replies formatted even when stdout is not a terminal
  -2 / -3            talk RESP2 (default) / RESP3 (sends HELLO 3 on connecting)
  -e                 in one-shot mode, exit with 1 when the reply is an error
  --no-auth-warning  do not warn about a password on the command line
  --tls              connect with TLS
  --sni <host>       server name indication for TLS
  --cacert <file>    CA certificate file to verify the server with
  --cacertdir <dir>  directory of trusted CA certificates (without either: Node's trusted roots)
  --insecure         do not verify the server's certificate
  --cert <file>      client certificate to authenticate with (with --key)
  --key <file>       private key of that certificate
  --tls-ciphers <list>       ciphers for TLSv1.2 and below, in OpenSSL's syntax
  --tls-ciphersuites <list>  TLSv1.3 cipher suites
  --help             this text

Examples:
  tandem cli -p 7379 SET greeting "hello world"
  tandem cli -3 HGETALL user:1
  tandem cli -p 6380 --tls --cacert ca.crt --cert client.crt --key client.key PING
  printf 'INCR hits\\nGET hits\\n' | tandem cli
`;

export type ParsedCliOptions =
  | { ok: true; options: CliOptions }
  | { ok: false; exitCode: number; stdout?: string; stderr?: string };

/** Parses the arguments after `tandem cli`. */
export function parseCliOptions(argv: readonly string[]): ParsedCliOptions {
  const o: CliOptions = {
    host: "127.0.0.1",
    port: 6379,
    password: null,
    user: null,
    db: 0,
    output: null,
    resp3: false,
    errorExitCode: false,
    noAuthWarning: false,
    tls: null,
    command: [],
  };
  const tls: CliTlsOptions = {
    sni: null,
    cacert: null,
    cacertdir: null,
    cert: null,
    key: null,
    insecure: false,
    ciphers: null,
    ciphersuites: null,
  };
  let useTls = false;
  let resp2 = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const hasValue = i < argv.length - 1;
    if (a === "-h" && hasValue) o.host = argv[++i];
    else if (a === "-h" || a === "--help") return { ok: false, exitCode: 0, stdout: CLI_USAGE };
    else if (a === "-p" && hasValue) o.port = cInt(argv[++i]);
    else if (a === "-n" && hasValue) o.db = cInt(argv[++i]);
    else if ((a === "-a" || a === "--pass") && hasValue) o.password = argv[++i];
    else if (a === "--user" && hasValue) o.user = argv[++i];
    else if (a === "--no-auth-warning") o.noAuthWarning = true;
    else if (a === "--raw") o.output = "raw";
    else if (a === "--no-raw") o.output = "tty";
    else if (a === "-2") resp2 = true;
    else if (a === "-3") o.resp3 = true;
    else if (a === "-e") o.errorExitCode = true;
    else if (a === "--tls") useTls = true;
    else if (a === "--sni" && hasValue) tls.sni = argv[++i];
    else if (a === "--cacert" && hasValue) tls.cacert = argv[++i];
    else if (a === "--cacertdir" && hasValue) tls.cacertdir = argv[++i];
    else if (a === "--cert" && hasValue) tls.cert = argv[++i];
    else if (a === "--key" && hasValue) tls.key = argv[++i];
    else if (a === "--insecure") tls.insecure = true;
    else if (a === "--tls-ciphers" && hasValue) tls.ciphers = argv[++i];
    else if (a === "--tls-ciphersuites" && hasValue) tls.ciphersuites = argv[++i];
    else if (a.startsWith("-")) {
      return { ok: false, exitCode: 1, stderr: `Unrecognized option or bad number of args for: '${a}'\n` };
    } else break;
  }
  if (resp2 && o.resp3)
    return { ok: false, exitCode: 1, stderr: "Options -2 and -3 are mutually exclusive.\n" };
  if (useTls) o.tls = tls;
  o.command = argv.slice(i);
  return { ok: true, options: o };
}

/** C's atoi: leading blanks, an optional sign and the digits that follow; 0 when there are none. */
function cInt(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1], 10) | 0 : 0;
}
