/**
 * A configuration problem, located: "file:line: reason", "file: reason" when it is about the whole file
 * (line 0: unreadable, invalid YAML without a position), or "reason" for CONFIG SET.
 */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly reason: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file === undefined ? reason : line ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
    this.name = "ConfigError";
  }
}
