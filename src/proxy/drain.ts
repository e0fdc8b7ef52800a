import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "pino";
import type { ProxyConfig } from "../config/proxy-config.js";
import type { Backend } from "./backend.js";
import type { Router } from "./router.js";

/**
 * Operators' drain of a replica (PROXY DRAIN / UNDRAIN, `tandem drain`):
 * - `draining` at once: the router stops sending it new reads;
 * - requests already in flight on it finish (its `outstanding` count goes to zero) — or, past
 *   drain_timeout_ms, the reads still there are moved to other backends;
 * - then `drained`. Blocking commands and subscriptions never run on replicas (they take dedicated
 *   master connections), so no session is pinned to a replica; a SCAN cursor it issued is continued
 *   elsewhere once it is drained (the next page may repeat or miss keys, as after a replica loss).
 *
 * Drained and draining replicas are written to drain_state_file (when set), so a restarted proxy starts
 * with them drained. The file is replaced atomically (write, then rename).
 */

export type DrainResult = { ok: true; backend: Backend } | { ok: false; error: string };

const CHECK_MS = 20;

export class DrainController {
  private readonly started = new Map<Backend, number>();
  /** Labels the drain state file listed: backends that join later (Sentinel) start drained too. */
  private readonly remembered = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly router: Router,
    private readonly config: ProxyConfig,
    private readonly log: Logger,
    /** Called when a backend's drain state changes (the lag monitor re-evaluates the router). */
    private readonly changed: () => void,
  ) {}

  /** Applies the persisted state: backends listed in the file start drained. */
  load(): void {
    const file = this.config.drainStateFile;
    if (file === "") return;
    let listed: unknown;
    try {
      listed = JSON.parse(readFileSync(file, "utf8")).drained;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.warn(
          { file, err: (err as Error).message },
          "cannot read the drain state file; nothing drained",
        );
      return;
    }
    if (!Array.isArray(listed)) return;
    for (const label of listed) {
      this.remembered.add(String(label));
      const b = this.router.replicas.find((r) => r.label === label);
      if (b === undefined) {
        this.log.warn({ file, backend: label }, "drain state names a backend that is not configured");
        continue;
      }
      this.adopt(b);
    }
    this.changed();
  }

  /** A backend that joined the topology: drained if the drain state file lists it. */
  adopt(b: Backend): void {
    if (!this.remembered.has(b.label) || b.drain !== "none") return;
    b.drain = "drained";
    this.log.info({ backend: b.label }, "replica drained (from the drain state file)");
  }

  find(label: string): DrainResult {
    if (label === this.router.master.label)
      return { ok: false, error: `${label} is the master; only replicas can be drained` };
    const b = this.router.replicas.find((r) => r.label === label);
    return b === undefined ? { ok: false, error: `unknown backend '${label}'` } : { ok: true, backend: b };
  }

  drain(label: string): DrainResult {
    const r = this.find(label);
    if (!r.ok || r.backend.drain !== "none") return r;
    r.backend.drain = "draining";
    this.started.set(r.backend, Date.now());
    this.log.info({ backend: label, inFlight: r.backend.outstanding }, "draining replica");
    this.changed();
    this.persist();
    this.schedule();
    return r;
  }

  undrain(label: string): DrainResult {
    const r = this.find(label);
    if (!r.ok || r.backend.drain === "none") return r;
    r.backend.drain = "none";
    this.started.delete(r.backend);
    this.log.info({ backend: label }, "replica undrained: serving reads again when eligible");
    this.changed();
    this.persist();
    return r;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Moves draining replicas to drained once nothing is in flight on them (or past the timeout). */
  private check(): void {
    this.timer = null;
    const now = Date.now();
    for (const [b, since] of this.started) {
      if (b.drain !== "draining") {
        this.started.delete(b);
        continue;
      }
      const timedOut = now - since >= this.config.drainTimeoutMs;
      if (b.outstanding > 0 && !timedOut) continue;
      if (b.outstanding > 0) b.abandonReads(); // past drain_timeout_ms: reads still there move elsewhere
      b.drain = "drained";
      this.started.delete(b);
      this.log.info({ backend: b.label, ms: now - since, timedOut }, "replica drained");
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer === null && this.started.size > 0) this.timer = setTimeout(() => this.check(), CHECK_MS);
  }

  private persist(): void {
    const file = this.config.drainStateFile;
    if (file === "") return;
    const drained = this.router.nodes.filter((b) => b.drain !== "none").map((b) => b.label);
    this.remembered.clear();
    for (const l of drained) this.remembered.add(l);
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, `${JSON.stringify({ drained }, null, 2)}\n`);
      renameSync(tmp, file);
    } catch (err) {
      this.log.error({ file, err: (err as Error).message }, "cannot write the drain state file");
    }
  }
}
