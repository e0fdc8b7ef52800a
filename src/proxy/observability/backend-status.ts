import type { ProxyConfig } from "../../config/proxy-config.js";
import type { Backend } from "../backend.js";
import { backendFields } from "../local-commands.js";

/**
 * One backend's state with exactly the fields and values of `PROXY BACKENDS` (the same function makes
 * both), as an object: what /status lists and what the per-backend state metrics are read from.
 */
export interface BackendStatus {
  readonly address: string;
  readonly role: "master" | "replica";
  /** "up" while health polls answer within max_lag_ms, else "down". */
  readonly state: "up" | "down";
  readonly offset: number;
  readonly lag_bytes: number;
  readonly lag_ms: number;
  readonly in_flight: number;
  readonly dedicated: number;
  readonly breaker: "closed" | "half-open" | "open";
  readonly eligible: "yes" | "no";
  /** Why not eligible ("" when eligible). */
  readonly reason: string;
  readonly drain: "none" | "draining" | "drained";
}

export function backendStatus(
  b: Backend,
  isMaster: boolean,
  now: number,
  config: ProxyConfig,
): BackendStatus {
  return Object.fromEntries(backendFields(b, isMaster, now, config)) as unknown as BackendStatus;
}
