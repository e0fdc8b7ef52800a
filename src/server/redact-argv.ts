/**
 * The arguments of a command as SLOWLOG and MONITOR may show them: secrets replaced by "(redacted)"
 * exactly where Redis 7.0's command handlers call redactClientCommandArgument —
 * - AUTH [user] password: the user and the password (only in a well-formed AUTH: ≤ 3 arguments);
 * - HELLO protover AUTH user password ...: the user and the password (once the protocol version is valid,
 *   and as long as the options before them parse);
 * - ACL SETUSER name rules...: the name and every rule;
 * - CONFIG SET name value ...: the values of masterauth, masteruser and requirepass (even count only);
 * - MIGRATE ... AUTH password / AUTH2 user password.
 * Returns `argv` itself when nothing is secret (no allocation for the usual command).
 */

export const REDACTED = "(redacted)";

/** CONFIG parameters Redis flags SENSITIVE_CONFIG. */
const SENSITIVE_CONFIGS = new Set(["masterauth", "masteruser", "requirepass"]);

const eqi = (a: string, b: string) => a.length === b.length && a.toLowerCase() === b.toLowerCase();

/** HELLO's protocol version check (Redis: an integer, 2 or 3). */
const PROTOVER_RE = /^[23]$/;

function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function redactAt(argv: readonly string[], positions: readonly number[]): readonly string[] {
  if (positions.length === 0) return argv;
  const out = argv.slice();
  for (const p of positions) out[p] = REDACTED;
  return out;
}

function helloSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  if (argv.length < 2 || !PROTOVER_RE.test(argv[1])) return out;
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (eqi(argv[j], "auth") && more >= 2) {
      out.push(j + 1, j + 2);
      j += 2;
    } else if (eqi(argv[j], "setname") && more >= 1) {
      if (!validClientName(argv[j + 1])) break;
      j++;
    } else break;
  }
  return out;
}

function migrateSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j].toLowerCase();
    if (a === "copy" || a === "replace") continue;
    if (a === "auth") {
      if (more < 1) break;
      out.push(++j);
    } else if (a === "auth2") {
      if (more < 2) break;
      out.push(j + 1, j + 2);
      j += 2;
    } else break; // KEYS (the rest are keys) or a syntax error
  }
  return out;
}

export function redactedArgv(argv: readonly string[]): readonly string[] {
  if (argv.length < 2) return argv;
  const name = argv[0];
  // A cheap first-letter filter keeps the usual command away from the comparisons below.
  const first = name.charCodeAt(0) | 0x20;
  if (first !== 0x61 && first !== 0x68 && first !== 0x63 && first !== 0x6d) return argv; // a h c m
  if (eqi(name, "auth")) {
    if (argv.length > 3) return argv;
    return redactAt(argv, argv.length === 3 ? [1, 2] : [1]);
  }
  if (eqi(name, "hello")) return redactAt(argv, helloSecrets(argv));
  if (eqi(name, "acl")) {
    if (argv.length < 3 || !eqi(argv[1], "setuser")) return argv;
    return redactAt(
      argv,
      argv.map((_, i) => i).filter((i) => i >= 2),
    );
  }
  if (eqi(name, "config")) {
    if (!eqi(argv[1], "set") || argv.length % 2 !== 0) return argv;
    const pos: number[] = [];
    for (let i = 2; i + 1 < argv.length; i += 2)
      if (SENSITIVE_CONFIGS.has(argv[i].toLowerCase())) pos.push(i + 1);
    return redactAt(argv, pos);
  }
  if (eqi(name, "migrate")) return redactAt(argv, migrateSecrets(argv));
  return argv;
}
