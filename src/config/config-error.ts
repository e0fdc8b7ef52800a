/** A configuration problem, located: "file:line: reason" (or "reason" for CONFIG SET). */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly reason: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file !== undefined ? `${file}:${line}: ${reason}` : reason);
    this.name = "ConfigError";
  }
}
