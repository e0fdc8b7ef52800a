/**
 * The slow log (Redis's slowlog.c): commands whose execution took at least `slowlog-log-slower-than`
 * microseconds, newest first, at most `slowlog-max-len` of them. Each entry keeps Redis's shape: id, unix
 * time, duration in µs, the arguments (at most 32, each cut at 128 bytes), the client's address and name.
 *
 * The dispatcher tests `duration >= slowerThan` on every command: a negative threshold (disabled) is kept
 * as +Infinity so that test is the only cost when nothing is logged.
 */

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowLogEntry {
  readonly id: number;
  /** Unix seconds. */
  readonly time: number;
  /** Microseconds. */
  readonly duration: number;
  readonly argv: readonly string[];
  readonly peer: string;
  readonly name: string;
}

export class SlowLog {
  /** µs; +Infinity when the slow log is disabled (a negative slowlog-log-slower-than). */
  slowerThan = 10000;
  maxLen = 128;
  /** Newest first. */
  entries: SlowLogEntry[] = [];
  private nextId = 0;

  /** slowlog-log-slower-than: negative disables, 0 logs every command. */
  setSlowerThan(us: number): void {
    this.slowerThan = us < 0 ? Number.POSITIVE_INFINITY : us;
  }

  setMaxLen(n: number): void {
    this.maxLen = n;
    this.trim();
  }

  /** Adds an entry (the caller checked the threshold). `argv` is what the client sent, redacted. */
  push(argv: readonly string[], durationUs: number, peer: string, name: string): void {
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration: Math.floor(durationUs),
      argv: slowlogArgv(argv),
      peer,
      name,
    });
    this.trim();
  }

  reset(): void {
    this.entries = [];
  }

  private trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }
}

/** Redis's slowlogCreateEntry truncation: the 32nd slot says how many arguments were left out. */
export function slowlogArgv(argv: readonly string[]): string[] {
  const n = Math.min(argv.length, MAX_ARGC);
  const out: string[] = new Array(n);
  for (let j = 0; j < n; j++) {
    if (n !== argv.length && j === n - 1) {
      out[j] = `... (${argv.length - n + 1} more arguments)`;
    } else {
      const a = argv[j];
      out[j] =
        a.length > MAX_STRING ? `${a.slice(0, MAX_STRING)}... (${a.length - MAX_STRING} more bytes)` : a;
    }
  }
  return out;
}
