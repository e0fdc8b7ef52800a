/**
 * A file-system error as C's strerror words it, as Redis prints it in replies and INFO: Node's
 * "ENOSPC: no space left on device, write" becomes "No space left on device" (no code, no path).
 */
export function strerror(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(message);
  const text = m ? m[1] : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
