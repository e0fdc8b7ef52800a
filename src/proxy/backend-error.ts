/**
 * Why the proxy lost or could not use a backend, with a stable `code` (undici's UND_ERR_* is the model):
 * callers branch on `code`, never on the message, which is for people and may change.
 */
export type BackendErrorCode =
  /** The TCP connection could not be made (refused, unreachable). */
  | "TANDEM_BACKEND_CONNECT_FAILED"
  /** The TCP connection was not made within pool.connect_timeout_ms. */
  | "TANDEM_BACKEND_CONNECT_TIMEOUT"
  /** An established connection was closed or failed (by the backend or the network). */
  | "TANDEM_BACKEND_CONNECTION_LOST"
  /** The backend sent bytes that are not RESP. */
  | "TANDEM_BACKEND_PROTOCOL"
  /** The backend sent a reply no request was waiting for. */
  | "TANDEM_BACKEND_UNEXPECTED_REPLY"
  /** A bug in the proxy while handling a reply; the connection is dropped so no session hangs on it. */
  | "TANDEM_BACKEND_INTERNAL"
  /** The health poll (INFO replication) failed. */
  | "TANDEM_BACKEND_POLL_FAILED"
  /** The proxy closed the connection itself (given back, or shutting down): not a failure. */
  | "TANDEM_BACKEND_RELEASED";

export class BackendError extends Error {
  override name = "BackendError";
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** True when the loss says something about the backend's health (everything but a release). */
  get isFailure(): boolean {
    return this.code !== "TANDEM_BACKEND_RELEASED";
  }
}

export const RELEASED = new BackendError("TANDEM_BACKEND_RELEASED", "released");
