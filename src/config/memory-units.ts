/**
 * Redis's memtoull: "1gb" = 1024^3, "1g" = 1000^3, likewise k/kb, m/mb; a bare number is bytes.
 * Returns null when the text is not a memory amount.
 */
export function parseMemory(text: string): number | null {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? "b").toLowerCase();
  const mul: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 ** 2,
    mb: 1024 ** 2,
    g: 1000 ** 3,
    gb: 1024 ** 3,
  };
  return n * mul[unit];
}
