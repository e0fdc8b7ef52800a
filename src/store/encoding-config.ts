/**
 * The thresholds at which Redis 7.0 moves a value from its compact encoding to the general one
 * (hash-max-listpack-*, zset-max-listpack-*, set-max-intset-entries, list-max-listpack-size). Our values
 * keep one representation each, but they track which encoding Redis would have for the same history (so
 * OBJECT ENCODING and DUMP answer as Redis), and that depends on these numbers at the time of each write.
 *
 * Process-wide, like Redis's `server` globals: values read it on every write without holding a reference to
 * a server. The server keeps it in step with CONFIG SET. Defaults are Redis 7.0's.
 */
export const encodingConfig = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  /** list-max-listpack-size: negative = node size class (-1 4 KiB ... -5 64 KiB), positive = entries. */
  listMaxListpackSize: -2,
};

/** Redis's cap on intset sizes (setTypeAdd, the RDB loader): set-max-intset-entries beyond 2^30 acts as 2^30. */
export function maxIntsetEntries(): number {
  const n = encodingConfig.setMaxIntsetEntries;
  return Math.min(n, 2 ** 30);
}

/**
 * Redis's string2ll acceptance: a canonical decimal int64 (no "+", no leading zeros, no "-0", at most 20
 * characters). The tests Redis applies to decide int encodings (strings, intsets, listpack entries).
 */
export function isCanonicalInt64(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1;
  for (let j = i; j < n; j++) {
    const ch = s.charCodeAt(j);
    if (ch < 48 || ch > 57) return false;
  }
  if (n - i < 19) return true;
  const v = BigInt(s);
  return v <= 9223372036854775807n && v >= -9223372036854775808n;
}
