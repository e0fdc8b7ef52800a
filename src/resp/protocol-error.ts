/**
 * Errors raised while reading RESP. Every one carries a stable `code` so callers can branch on it, and a
 * `message` that is already Redis's wording after `-ERR ` (e.g. "Protocol error: invalid bulk length").
 */
export type ProtocolErrorCode =
  | "INVALID_MULTIBULK_LENGTH"
  | "INVALID_BULK_LENGTH"
  | "UNAUTHENTICATED_MULTIBULK_LENGTH"
  | "UNAUTHENTICATED_BULK_LENGTH"
  | "TOO_BIG_INLINE"
  | "TOO_BIG_MBULK_COUNT"
  | "TOO_BIG_BULK_COUNT"
  | "UNBALANCED_QUOTES"
  | "EXPECTED_DOLLAR"
  | "UNKNOWN_TYPE"
  | "BAD_INTEGER"
  | "BAD_TERMINATOR";

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}
