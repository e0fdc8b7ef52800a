import { createHash } from "node:crypto";
import { encodeCommand } from "../resp/reply-writer.js";

/**
 * The bodies of the Lua scripts clients load through the proxy (SCRIPT LOAD, EVAL, EVAL_RO), by SHA1,
 * so an EVALSHA / EVALSHA_RO can run on whichever backend serves it. Redis 7 does not replicate SCRIPT
 * LOAD (scripts replicate as their effects), so a replica — or a replica promoted to master — has not
 * seen a script the master loaded: before the first EVALSHA of a script on a backend, the proxy sends
 * that backend `SCRIPT LOAD <body>` on the same connection, ahead of the request — or, inside MULTI, where
 * an extra request would add an element to EXEC's reply, sends the EVALSHA as EVAL of the body.
 *
 * Bounded (entries and bytes; the oldest go first). A script the proxy never saw (loaded on a backend
 * directly) is not known here: its EVALSHA answers -NOSCRIPT from a backend that lacks it, as Redis would.
 */
export class ScriptCache {
  private readonly bodies = new Map<string, string>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.bodies.size;
  }

  /** Remembers a script body (latin1, as the request carried it); returns its SHA1 in lowercase hex. */
  add(body: string): string {
    const sha = createHash("sha1").update(body, "latin1").digest("hex");
    if (this.bodies.has(sha)) return sha;
    this.bodies.set(sha, body);
    this.bytes += body.length;
    while (this.bodies.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.bodies.keys().next().value as string;
      this.bytes -= (this.bodies.get(oldest) as string).length;
      this.bodies.delete(oldest);
    }
    return sha;
  }

  /** `SCRIPT LOAD <body>` for a known SHA1 (any letter case), or null. */
  loadCommand(sha: string): Buffer | null {
    const body = this.bodies.get(sha.toLowerCase());
    return body === undefined ? null : encodeCommand(["SCRIPT", "LOAD", body]);
  }

  /**
   * An EVALSHA / EVALSHA_RO (`argv` as the client sent it) as EVAL / EVAL_RO of the known body, or null:
   * inside a transaction, where a SCRIPT LOAD cannot be sent ahead (see Session.prepareScript).
   */
  evalCommand(argv: string[]): Buffer | null {
    const body = this.bodies.get(argv[1].toLowerCase());
    if (body === undefined) return null;
    const name = argv[0].toLowerCase() === "evalsha_ro" ? "EVAL_RO" : "EVAL";
    return encodeCommand([name, body, ...argv.slice(2)]);
  }

  /** SCRIPT FLUSH through the proxy: forget everything (backends forget theirs as well). */
  clear(): void {
    this.bodies.clear();
    this.bytes = 0;
  }
}
