import type { Logger } from "pino";
import type { Backend } from "../backend.js";

/**
 * One log line per backend state change, nothing per request:
 * - a replica becomes eligible for reads, or is excluded (with the lag monitor's reason);
 * - its circuit breaker opens (after being closed) or closes. While a backend stays down the breaker
 *   cycles open → half-open → open at every reset timeout: those trial cycles log at debug only.
 * Drain start and end are logged by the DrainController itself.
 *
 * Each backend gets one child logger (its address bound), made when it is first watched.
 */
export class StateLog {
  private readonly watched = new Map<Backend, Logger>();

  constructor(private readonly log: Logger) {}

  /** Subscribes to a backend's breaker (idempotent: backends the topology adds later are watched too). */
  watch(b: Backend): Logger {
    let l = this.watched.get(b);
    if (l !== undefined) return l;
    const log = this.log.child({ backend: b.label });
    l = log;
    this.watched.set(b, log);
    let tripped = false;
    b.breaker.on("open", () => {
      if (tripped) log.debug("circuit breaker open again (the trial request failed)");
      else log.warn({ reason: b.health.reason }, "circuit breaker opened");
      tripped = true;
    });
    b.breaker.on("halfOpen", () => log.debug("circuit breaker half-open: trying one request"));
    b.breaker.on("close", () => {
      tripped = false;
      log.info("circuit breaker closed");
    });
    return l;
  }

  /** The lag monitor flipped `b.eligible`. */
  eligibilityChanged(b: Backend): void {
    const log = this.watch(b);
    const h = b.health;
    if (b.eligible) log.info({ lagBytes: h.lagBytes, lagMs: h.lagMs }, "replica eligible for reads");
    else log.warn({ reason: h.reason, lagBytes: h.lagBytes, lagMs: h.lagMs }, "replica excluded from reads");
  }
}
